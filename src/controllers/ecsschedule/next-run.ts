/**
 * EventBridge Scheduler's schedule expressions, parsed and evaluated without a library: at(),
 * rate() and its six-field cron() with ? L W #, read in an IANA time zone the way Scheduler
 * documents it — a local time that a daylight-saving change skips is skipped, one it repeats
 * runs once (the first), and a rate counts fixed intervals from the start date. Node's Intl
 * (full ICU) supplies the zones' offsets.
 */

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

export type ParsedExpression =
  | { kind: "at"; local: number }
  | { kind: "rate"; everyMs: number }
  | { kind: "cron"; cron: Cron };

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number>;
  /** Days of the month, or undefined when the field is '?'. */
  dayOfMonth?: DayOfMonth;
  dayOfWeek?: DayOfWeek;
}

type DayOfMonth = { days: Set<number>; last: boolean; lastWeekday: boolean; nearestWeekday?: number };
/** 1 = Sunday ... 7 = Saturday, as EventBridge numbers them. */
type DayOfWeek = { days: Set<number>; lastOf?: number; nth?: { day: number; n: number } };

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MINUTE_MS = 60_000;
const RATE_UNITS: Record<string, number> = { minute: MINUTE_MS, minutes: MINUTE_MS, hour: 60 * MINUTE_MS, hours: 60 * MINUTE_MS, day: 1440 * MINUTE_MS, days: 1440 * MINUTE_MS };

/** Whether the runtime knows the IANA time zone (as Scheduler requires one). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function numberIn(text: string, min: number, max: number, field: string, names?: string[]): number {
  const named = names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw new ExpressionError(`${field}: ${text} is not in ${String(min)}-${String(max)}${names ? ` or ${names[0] ?? ""}-${names.at(-1) ?? ""}` : ""}`);
  return value;
}

/** A field of ',' '-' '*' '/' (and names), as a set of values. */
function plainField(text: string, min: number, max: number, field: string, names?: string[]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    if (part.split("/").length > 2) throw new ExpressionError(`${field}: ${part} has more than one /`);
    const step = stepText === undefined ? 1 : numberIn(stepText, 1, max, `${field} increment`);
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [min, max];
    else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      [from, to] = [numberIn(a, min, max, field, names), numberIn(b, min, max, field, names)];
      if (from > to) throw new ExpressionError(`${field}: the range ${range} runs backwards`);
    } else {
      from = numberIn(range, min, max, field, names);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function dayOfMonthField(text: string): DayOfMonth {
  if (text === "L") return { days: new Set(), last: true, lastWeekday: false };
  if (text === "LW") return { days: new Set(), last: false, lastWeekday: true };
  const weekday = /^(\d+)W$/.exec(text);
  if (weekday) return { days: new Set(), last: false, lastWeekday: false, nearestWeekday: numberIn(weekday[1] ?? "", 1, 31, "day-of-month") };
  if (/[LW]/.test(text)) throw new ExpressionError(`day-of-month: ${text} uses L or W other than as L, LW or <day>W`);
  return { days: plainField(text, 1, 31, "day-of-month"), last: false, lastWeekday: false };
}

function dayOfWeekField(text: string): DayOfWeek {
  const nth = /^([A-Za-z]+|\d)#(\d)$/.exec(text);
  if (nth) return { days: new Set(), nth: { day: numberIn(nth[1] ?? "", 1, 7, "day-of-week", WEEKDAYS), n: numberIn(nth[2] ?? "", 1, 5, "day-of-week occurrence") } };
  if (text.includes("#")) throw new ExpressionError(`day-of-week: ${text}: # takes one <day>#<n> only`);
  if (text === "L") return { days: new Set([7]) };
  const last = /^([A-Za-z]+|\d)L$/.exec(text);
  if (last) return { days: new Set(), lastOf: numberIn(last[1] ?? "", 1, 7, "day-of-week", WEEKDAYS) };
  if (text.includes("L")) throw new ExpressionError(`day-of-week: ${text} uses L other than as L or <day>L`);
  return { days: plainField(text, 1, 7, "day-of-week", WEEKDAYS) };
}

function parseCron(body: string): Cron {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw new ExpressionError(`cron takes six fields (minutes hours day-of-month month day-of-week year), got ${String(fields.length)}`);
  const [minutes = "", hours = "", dom = "", month = "", dow = "", year = ""] = fields;
  if ((dom === "?") === (dow === "?")) throw new ExpressionError("cron sets one of day-of-month and day-of-week and puts ? in the other");
  return {
    minutes: plainField(minutes, 0, 59, "minutes"),
    hours: plainField(hours, 0, 23, "hours"),
    months: plainField(month, 1, 12, "month", MONTHS),
    years: plainField(year, 1970, 2199, "year"),
    ...(dom === "?" ? {} : { dayOfMonth: dayOfMonthField(dom) }),
    ...(dow === "?" ? {} : { dayOfWeek: dayOfWeekField(dow) }),
  };
}

/** Parses a scheduleExpression; throws ExpressionError saying what EventBridge would refuse. */
export function parseExpression(expression: string): ParsedExpression {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const local = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(local);
    if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw new ExpressionError(`at: ${expression} is not a date and time`);
    return { kind: "at", local };
  }
  const rate = /^rate\((\d+) ([a-z]+)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = RATE_UNITS[rate[2] ?? ""];
    if (unit === undefined || value < 1) throw new ExpressionError(`rate takes a positive number and minute(s), hour(s) or day(s), got ${expression}`);
    return { kind: "rate", everyMs: value * unit };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return { kind: "cron", cron: parseCron(cron[1] ?? "") };
  throw new ExpressionError(`expected at(...), rate(...) or cron(...), got ${expression}`);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `zone` at an instant, as milliseconds of a UTC calendar (the zone's "local epoch"). */
function localOf(utc: number, zone: string): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(utc)).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/**
 * The instant a wall-clock time in `zone` stands for: undefined where a daylight-saving change
 * skips it, the first of the two where one repeats it.
 */
export function instantOf(local: number, zone: string): number | undefined {
  const offsets = [localOf(local - 43_200_000, zone) - (local - 43_200_000), localOf(local + 43_200_000, zone) - (local + 43_200_000)];
  const candidates = [...new Set(offsets.map((o) => local - o))].sort((a, b) => a - b);
  return candidates.find((utc) => localOf(utc, zone) === local);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday ... 7 = Saturday. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function isWeekday(year: number, month: number, day: number): boolean {
  const w = weekdayOf(year, month, day);
  return w !== 1 && w !== 7;
}

/** The weekday nearest `day` within the month (Quartz's and EventBridge's W). */
function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysInMonth(year, month);
  const d = Math.min(day, last);
  if (isWeekday(year, month, d)) return d;
  const w = weekdayOf(year, month, d);
  if (w === 7) return d === 1 ? 3 : d - 1; // Saturday: Friday, or Monday when the 1st
  return d === last ? d - 2 : d + 1; // Sunday: Monday, or Friday when the last day
}

function dayMatches(cron: Cron, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  if (cron.dayOfMonth) {
    const dom = cron.dayOfMonth;
    if (dom.last) return day === last;
    if (dom.lastWeekday) {
      let d = last;
      while (!isWeekday(year, month, d)) d -= 1;
      return day === d;
    }
    if (dom.nearestWeekday !== undefined) return day === nearestWeekday(year, month, dom.nearestWeekday);
    return dom.days.has(day);
  }
  const dow = cron.dayOfWeek;
  if (!dow) return false;
  const weekday = weekdayOf(year, month, day);
  if (dow.nth) return weekday === dow.nth.day && Math.ceil(day / 7) === dow.nth.n;
  if (dow.lastOf !== undefined) return weekday === dow.lastOf && day + 7 > last;
  return dow.days.has(weekday);
}

const sorted = (values: Set<number>): number[] => [...values].sort((a, b) => a - b);

/** The first cron time strictly after `after` (an instant), in `zone`. */
function nextCron(cron: Cron, zone: string, after: number): number | undefined {
  const fromLocal = localOf(after, zone);
  const from = new Date(fromLocal);
  const hours = sorted(cron.hours);
  const minutes = sorted(cron.minutes);
  for (const year of sorted(cron.years)) {
    if (year < from.getUTCFullYear()) continue;
    for (const month of sorted(cron.months)) {
      if (Date.UTC(year, month, 1) <= Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1)) continue;
      for (let day = 1; day <= daysInMonth(year, month); day += 1) {
        if (Date.UTC(year, month - 1, day + 1) <= Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate())) continue;
        if (!dayMatches(cron, year, month, day)) continue;
        for (const hour of hours) {
          for (const minute of minutes) {
            const local = Date.UTC(year, month - 1, day, hour, minute);
            if (local <= fromLocal) continue;
            const instant = instantOf(local, zone);
            // Skipped by a daylight-saving change: Scheduler skips it too.
            if (instant !== undefined && instant > after) return instant;
          }
        }
      }
    }
  }
  return undefined;
}

export interface NextRunInput {
  expression: string;
  /** IANA zone (default UTC). */
  timezone?: string;
  /** Not before; for rate schedules also where their count starts. */
  startDate?: Date;
  endDate?: Date;
  /** When a rate schedule without startDate began counting (its creation). */
  createdAt?: Date;
}

/**
 * The next run strictly after `now`, or undefined when the schedule will not run again (a past
 * at(), past endDate, a cron whose years are over). Flexible windows are not included: the run
 * happens within that window after this time.
 */
export function nextRunTime(input: NextRunInput, now: Date): Date | undefined {
  const zone = input.timezone ?? "UTC";
  const parsed = parseExpression(input.expression);
  const end = input.endDate?.getTime() ?? Infinity;
  let next: number | undefined;
  if (parsed.kind === "at") {
    // One-time schedules ignore startDate and endDate.
    const at = instantOf(parsed.local, zone);
    return at !== undefined && at > now.getTime() ? new Date(at) : undefined;
  }
  const after = Math.max(now.getTime(), (input.startDate?.getTime() ?? -Infinity) - 1);
  if (parsed.kind === "rate") {
    const anchor = input.startDate?.getTime() ?? input.createdAt?.getTime() ?? now.getTime();
    const periods = Math.max(0, Math.floor((after - anchor) / parsed.everyMs) + 1);
    next = anchor + periods * parsed.everyMs;
  } else {
    next = nextCron(parsed.cron, zone, after);
  }
  return next !== undefined && next <= end ? new Date(next) : undefined;
}
