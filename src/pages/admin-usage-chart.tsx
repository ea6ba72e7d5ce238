import { scaleBand, scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import type { UsageDay } from '../admin/usage-history';
import { usdForPeople } from '../money';

const WIDTH = 880;
const HEIGHT = 300;
const M = { top: 16, right: 72, bottom: 40, left: 56 };

/**
 * Views (bars, left axis) and revenue (line, right axis) per UTC day, drawn on the
 * server as SVG. d3-scale lays out the days, the two value axes and their ticks;
 * d3-shape draws the revenue line. Each day carries a <title> for a native tooltip.
 */
export function UsageChart(props: { days: UsageDay[] }) {
  const { days } = props;
  const x = scaleBand<string>()
    .domain(days.map((d) => d.date))
    .range([M.left, WIDTH - M.right])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const maxViews = Math.max(5, ...days.map((d) => d.views));
  const maxRevenue = Math.max(10_000, ...days.map((d) => d.revenueMicros));
  const yViews = scaleLinear()
    .domain([0, maxViews])
    .nice()
    .range([HEIGHT - M.bottom, M.top]);
  const yRevenue = scaleLinear()
    .domain([0, maxRevenue])
    .nice()
    .range([HEIGHT - M.bottom, M.top]);
  const viewTicks = yViews.ticks(5).filter(Number.isInteger);
  const revenueTicks = yRevenue.ticks(5).filter(Number.isInteger);
  const middle = (d: UsageDay) => (x(d.date) ?? 0) + x.bandwidth() / 2;
  const revenuePath = line<UsageDay>()
    .x(middle)
    .y((d) => yRevenue(d.revenueMicros))(days);
  const labelEvery = Math.ceil(days.length / 10);
  const bottom = HEIGHT - M.bottom;

  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="chart-title" data-testid="usage-chart">
      <title id="chart-title">{`Views and revenue per day, ${days[0]?.date} to ${days[days.length - 1]?.date}`}</title>
      <g class="grid">
        {viewTicks.map((t) => (
          <line x1={M.left} x2={WIDTH - M.right} y1={yViews(t)} y2={yViews(t)} />
        ))}
      </g>
      <g class="bars">
        {days.map((d) => (
          <rect class="bar" x={x(d.date)} y={yViews(d.views)} width={x.bandwidth()} height={bottom - yViews(d.views)}>
            <title>{`${d.date}: ${d.views} views (${d.paidViews} paid), ${usdForPeople(d.revenueMicros)}`}</title>
          </rect>
        ))}
      </g>
      {revenuePath ? <path class="revenue" d={revenuePath} /> : null}
      {days.map((d) => (
        <circle class="point" cx={middle(d)} cy={yRevenue(d.revenueMicros)} r={days.length > 60 ? 1.5 : 3} />
      ))}
      <g class="axis">
        <line x1={M.left} x2={WIDTH - M.right} y1={bottom} y2={bottom} />
        {days.map((d, i) =>
          i % labelEvery === 0 ? (
            <text x={middle(d)} y={bottom + 16} text-anchor="middle">
              {d.date.slice(5)}
            </text>
          ) : null,
        )}
        <text x={(M.left + WIDTH - M.right) / 2} y={HEIGHT - 4} text-anchor="middle">
          day (UTC, month-day)
        </text>
      </g>
      <g class="axis">
        <line x1={M.left} x2={M.left} y1={M.top} y2={bottom} />
        {viewTicks.map((t) => (
          <text x={M.left - 8} y={yViews(t) + 4} text-anchor="end">
            {t.toLocaleString('en-US')}
          </text>
        ))}
        <text x={14} y={(M.top + bottom) / 2} text-anchor="middle" transform={`rotate(-90 14 ${(M.top + bottom) / 2})`}>
          views
        </text>
      </g>
      <g class="axis">
        <line x1={WIDTH - M.right} x2={WIDTH - M.right} y1={M.top} y2={bottom} />
        {revenueTicks.map((t) => (
          <text x={WIDTH - M.right + 8} y={yRevenue(t) + 4} text-anchor="start">
            {usdForPeople(t)}
          </text>
        ))}
        <text x={WIDTH - 10} y={(M.top + bottom) / 2} text-anchor="middle" transform={`rotate(90 ${WIDTH - 10} ${(M.top + bottom) / 2})`}>
          revenue
        </text>
      </g>
    </svg>
  );
}
