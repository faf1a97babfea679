/** A Fargate task size: CPU units and memory in MiB. */
export interface TaskSize {
  cpu: number;
  memory: number;
}

function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** The CPU/memory combinations Fargate accepts, smallest first (the same table as the CRD's CEL rule). */
export const FARGATE_SIZES: readonly TaskSize[] = [
  ...[512, 1024, 2048].map((memory) => ({ cpu: 256, memory })),
  ...steps(1024, 4096, 1024).map((memory) => ({ cpu: 512, memory })),
  ...steps(2048, 8192, 1024).map((memory) => ({ cpu: 1024, memory })),
  ...steps(4096, 16384, 1024).map((memory) => ({ cpu: 2048, memory })),
  ...steps(8192, 30720, 1024).map((memory) => ({ cpu: 4096, memory })),
  ...steps(16384, 61440, 4096).map((memory) => ({ cpu: 8192, memory })),
  ...steps(32768, 122880, 8192).map((memory) => ({ cpu: 16384, memory })),
];

export function isFargateSize(size: TaskSize): boolean {
  return FARGATE_SIZES.some((s) => s.cpu === size.cpu && s.memory === size.memory);
}

/**
 * The smallest Fargate size with at least the CPU and memory asked for (fewest CPU units first,
 * then least memory, as AWS bills CPU higher), or undefined when even the largest is too small.
 */
export function fargateSizeFor(want: TaskSize): TaskSize | undefined {
  return FARGATE_SIZES.find((s) => s.cpu >= want.cpu && s.memory >= want.memory);
}

export const LARGEST_FARGATE_SIZE: TaskSize = { cpu: 16384, memory: 122880 };
