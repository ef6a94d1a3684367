// The flow-matching schedule Nexus-Gen samples FLUX with (DiffSynth-Studio's FlowMatchScheduler, shift 3):
// sigmas linear from 1 to sigma_min, shifted s' = shift·s / (1 + (shift − 1)·s), then a final 0; Euler steps
// x ← x + v·(s_next − s). models/nexus-gen/schedule.py is the Python twin.

export function shiftedSigmas(steps: number, shift: number, sigmaMin: number): number[] {
  const linear = steps === 1 ? [1] : Array.from({ length: steps }, (_, i) => 1 + ((sigmaMin - 1) * i) / (steps - 1));
  return [...linear.map((s) => (shift * s) / (1 + (shift - 1) * s)), 0];
}
