/**
 * The value syntaxes of Compose files: Go durations ("1m30s"), byte sizes ("512m", "0.5GB") and
 * CPU counts ("0.5"). Each parser returns undefined for text it cannot read; the schema has already
 * checked the shape, so callers report a field-level error.
 */

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;

/** A Go duration in seconds: "30s", "1m30s", "1.5h", "500ms". */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  let seconds = 0;
  DURATION_PART.lastIndex = 0;
  let consumed = 0;
  for (let m = DURATION_PART.exec(text); m !== null; m = DURATION_PART.exec(text)) {
    seconds += Number(m[1]) * (DURATION_UNITS[m[2] ?? ""] ?? Number.NaN);
    consumed = DURATION_PART.lastIndex;
  }
  return consumed === text.length && text.length > 0 && Number.isFinite(seconds) ? seconds : undefined;
}

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * A size in bytes as Docker reads memory sizes: binary multiples, so "1g" and "1GB" are both GiB;
 * a bare number is bytes unless `bareUnit` says otherwise (ecs-params' task_size is in MiB).
 */
export function parseBytes(value: string | number, bareUnit = 1): number | undefined {
  if (typeof value === "number") return value >= 0 ? value * bareUnit : undefined;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgtb]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? "").toLowerCase();
  const hasUnit = unit !== "" || /[a-z]/i.test(value);
  return Number(m[1]) * (hasUnit ? (BYTE_UNITS[unit] ?? 1) : bareUnit);
}

export const MIB = 1024 ** 2;

/** Bytes to whole MiB, rounded up: ECS takes memory in MiB and a limit must not shrink. */
export function toMiB(bytes: number): number {
  return Math.ceil(bytes / MIB);
}

/** A CPU count ("0.5", 2) as ECS CPU units (1024 per vCPU). */
export function cpusToUnits(value: string | number): number | undefined {
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1024) : undefined;
}
