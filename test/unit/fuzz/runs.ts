// How many cases each property runs: FUZZ_RUNS (default small enough for the CI budget;
// `npm run fuzz` sets it high). `scale` shrinks it for properties whose cases are costly.
const parsed = Number(process.env.FUZZ_RUNS);
export const FUZZ_RUNS = Number.isSafeInteger(parsed) && parsed > 0 ? parsed : 200;

export function runs(scale = 1): number {
  return Math.max(10, Math.round(FUZZ_RUNS * scale));
}
