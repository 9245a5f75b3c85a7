/**
 * Response times of the simulated targets. Each target group's requests in one minute follow a log-normal
 * distribution with a fixed spread, placed so that its 95th percentile is the modelled p95. CloudWatch computes a
 * percentile over every request in the period, so a p95 over several minutes is the 95th percentile of the mixture of
 * the minutes' distributions weighted by their requests: neither the highest nor the mean of the minutes' p95s.
 */

/** Spread (σ of ln(latency)) of every minute's distribution: p50 ≈ p95 / 2.3, a typical web service's tail. */
export const LATENCY_SIGMA = 0.5;

/** z of the 95th percentile of the standard normal distribution. */
const Z95 = 1.6448536269514722;

/** One minute's distribution: its p95 and how many requests followed it. */
export interface LatencyComponent {
  readonly p95Seconds: number;
  readonly requests: number;
}

/**
 * The standard normal CDF to double precision (Hart 1968, as given by G. West, "Better approximations to cumulative
 * normal functions", 2005): a mixture's quantile must equal a single minute's p95 when all minutes agree.
 */
export function normalCdf(x: number): number {
  const abs = Math.abs(x);
  let tail: number;
  if (abs > 37) {
    tail = 0;
  } else {
    const exponential = Math.exp((-abs * abs) / 2);
    if (abs < 7.07106781186547) {
      let numerator = 3.52624965998911e-2 * abs + 0.700383064443688;
      numerator = numerator * abs + 6.37396220353165;
      numerator = numerator * abs + 33.912866078383;
      numerator = numerator * abs + 112.079291497871;
      numerator = numerator * abs + 221.213596169931;
      numerator = numerator * abs + 220.206867912376;
      let denominator = 8.83883476483184e-2 * abs + 1.75566716318264;
      denominator = denominator * abs + 16.064177579207;
      denominator = denominator * abs + 86.7807322029461;
      denominator = denominator * abs + 296.564248779674;
      denominator = denominator * abs + 637.333633378831;
      denominator = denominator * abs + 793.826512519948;
      denominator = denominator * abs + 440.413735824752;
      tail = (exponential * numerator) / denominator;
    } else {
      let fraction = abs + 0.65;
      fraction = abs + 4 / fraction;
      fraction = abs + 3 / fraction;
      fraction = abs + 2 / fraction;
      fraction = abs + 1 / fraction;
      tail = exponential / fraction / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

/** Share of a minute's requests answered within `seconds`. */
function componentCdf(component: LatencyComponent, seconds: number): number {
  if (seconds <= 0) return 0;
  if (component.p95Seconds === 0) return 1;
  return normalCdf(Math.log(seconds / component.p95Seconds) / LATENCY_SIGMA + Z95);
}

/**
 * The `quantile` (0-1) of all requests of the components together, in seconds; null without requests. Components
 * that share one p95 give exactly that p95.
 */
export function mixtureQuantile(components: readonly LatencyComponent[], quantile = 0.95): number | null {
  const present = components.filter((component) => component.requests > 0);
  const total = present.reduce((sum, component) => sum + component.requests, 0);
  if (total === 0) return null;
  const p95s = new Set(present.map((component) => component.p95Seconds));
  if (quantile === 0.95 && p95s.size === 1) return [...p95s][0] ?? null;
  const share = (seconds: number) =>
    present.reduce((sum, component) => sum + component.requests * componentCdf(component, seconds), 0) / total;
  // The mixture's quantile lies between its components' quantiles: bisect in log space.
  const bound = (component: LatencyComponent) =>
    component.p95Seconds * Math.exp(LATENCY_SIGMA * (quantileZ(quantile) - Z95));
  let low = Math.min(...present.map(bound));
  let high = Math.max(...present.map(bound));
  if (high === 0) return 0;
  low = Math.max(low, high * 1e-12);
  for (let i = 0; i < 200 && high - low > high * 1e-13; i += 1) {
    const middle = Math.sqrt(low * high);
    if (share(middle) < quantile) low = middle;
    else high = middle;
  }
  return high;
}

/** z of a standard normal quantile, by bisection on the CDF (only used for the bracket). */
function quantileZ(quantile: number): number {
  if (!(quantile > 0 && quantile < 1)) throw new Error(`latency: a quantile must be in (0, 1), got ${quantile}`);
  let low = -40;
  let high = 40;
  for (let i = 0; i < 200; i += 1) {
    const middle = (low + high) / 2;
    if (normalCdf(middle) < quantile) low = middle;
    else high = middle;
  }
  return high;
}
