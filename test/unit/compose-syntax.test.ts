import { describe, expect, it } from "vitest";
import { parseEnvFile } from "../../src/compose/env-file.js";
import { FARGATE_SIZES, fargateSizeFor, isFargateSize } from "../../src/compose/fargate.js";
import { interpolate } from "../../src/compose/interpolate.js";
import { parseLongPort, parseShortPort } from "../../src/compose/ports.js";
import { mountOf } from "../../src/compose/read.js";
import { cpusToUnits, parseBytes, parseDuration, toMiB } from "../../src/compose/units.js";
import { splitWords } from "../../src/compose/words.js";

describe("Compose port syntax", () => {
  it.each([
    ["80", { target: 80, protocol: "tcp" }],
    ["8080:80", { target: 80, published: 8080, protocol: "tcp" }],
    ["127.0.0.1:8080:80", { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp" }],
    ["127.0.0.1::80", { target: 80, hostIp: "127.0.0.1", protocol: "tcp" }],
    ["[::1]:6000:6001", { target: 6001, published: 6000, hostIp: "::1", protocol: "tcp" }],
    ["53:53/udp", { target: 53, published: 53, protocol: "udp" }],
    ["8000-8010:8000-8010", { target: 8000, targetEnd: 8010, published: 8000, publishedEnd: 8010, protocol: "tcp" }],
    ["9090-9091", { target: 9090, targetEnd: 9091, protocol: "tcp" }],
    ["8000-8010:80", { target: 80, published: 8000, publishedEnd: 8010, protocol: "tcp" }],
  ])("reads %s", (text, want) => {
    expect(parseShortPort(text)).toEqual(want);
  });

  it.each([
    ["80:80:80:80", /expected "80", "8080:80"/],
    ["http", /not a port/],
    ["70000:80", /port 70000 is out of range/],
    ["0", /port 0 is out of range \(1-65535\)/],
    ["8080:8000-8010", /needs a published range of the same size/],
    ["8000-8002:9000-9001", /differ in size/],
    ["80/tcp/udp", /expected/],
    ["9010-9000", /ends before it starts/],
  ])("rejects %s", (text, message) => {
    expect(parseShortPort(text)).toMatch(message);
  });

  it("reads the long syntax, with a published range as a string", () => {
    expect(parseLongPort(80, "8080", "TCP", undefined)).toEqual({ target: 80, published: 8080, protocol: "tcp" });
    expect(parseLongPort("5000-5001", "5000-5001", undefined, "0.0.0.0")).toEqual({ target: 5000, targetEnd: 5001, published: 5000, publishedEnd: 5001, protocol: "tcp", hostIp: "0.0.0.0" });
    expect(parseLongPort(0, undefined, undefined, undefined)).toMatch(/invalid target/);
  });
});

describe("Compose volume syntax", () => {
  it.each([
    ["/data", { type: "volume", target: "/data", readOnly: false, unsupported: [] }],
    ["data:/var/lib/data", { type: "volume", source: "data", target: "/var/lib/data", readOnly: false, unsupported: [] }],
    ["./conf:/etc/app:ro", { type: "bind", source: "./conf", target: "/etc/app", readOnly: true, unsupported: [] }],
    ["/var/run/docker.sock:/var/run/docker.sock:ro,z", { type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true, unsupported: ["z"] }],
    ["C:\\data:/data", { type: "bind", source: "C:\\data", target: "/data", readOnly: false, unsupported: [] }],
  ])("reads %s", (text, want) => {
    expect(mountOf(text)).toEqual(want);
  });

  it("rejects a relative container path and empty parts", () => {
    expect(mountOf("data:relative")).toMatch(/must be absolute/);
    expect(mountOf("a::/b")).toMatch(/expected \[SOURCE:\]TARGET\[:MODE\]/);
  });
});

describe("durations, sizes and CPUs", () => {
  it.each([
    ["30s", 30],
    ["1m30s", 90],
    ["1.5h", 5400],
    ["500ms", 0.5],
    ["0", 0],
  ])("reads the duration %s", (text, seconds) => {
    expect(parseDuration(text)).toBeCloseTo(seconds);
  });

  it.each(["30", "1x", "s", ""])("rejects the duration %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("reads sizes as Docker does, in binary units, bare numbers in bytes unless told", () => {
    expect(toMiB(parseBytes("512m") ?? 0)).toBe(512);
    expect(toMiB(parseBytes("0.5GB") ?? 0)).toBe(512);
    expect(toMiB(parseBytes("1GiB") ?? 0)).toBe(1024);
    expect(toMiB(parseBytes("2048k") ?? 0)).toBe(2);
    expect(parseBytes(1073741824)).toBe(1024 ** 3);
    expect(toMiB(parseBytes("512", 1024 ** 2) ?? 0)).toBe(512);
    expect(parseBytes("lots")).toBeUndefined();
  });

  it("turns CPU counts into CPU units", () => {
    expect(cpusToUnits("0.5")).toBe(512);
    expect(cpusToUnits(1.5)).toBe(1536);
    expect(cpusToUnits("x")).toBeUndefined();
  });
});

describe("command words", () => {
  it("splits as a shell would, with quotes and escapes", () => {
    expect(splitWords(`gunicorn app:wsgi --bind 0.0.0.0:8000 --workers "3"`)).toEqual(["gunicorn", "app:wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]);
    expect(splitWords(`sh -c 'echo "$HOME" && exit 1'`)).toEqual(["sh", "-c", 'echo "$HOME" && exit 1']);
    expect(splitWords(`echo "a \\"quoted\\" word" b\\ c`)).toEqual(["echo", 'a "quoted" word', "b c"]);
    expect(splitWords(`redis-server --save ""`)).toEqual(["redis-server", "--save", ""]);
    expect(splitWords(`echo "unterminated`)).toBeUndefined();
  });
});

describe("variable substitution", () => {
  const run = (value: unknown, env: Record<string, string>) => {
    const unset: string[] = [];
    const errors: string[] = [];
    const out = interpolate(value, env, { unset: (_p, name) => unset.push(name), error: (_p, message) => errors.push(message) });
    return { out, unset, errors };
  };

  it("substitutes every form Compose knows", () => {
    const env = { TAG: "1.2", EMPTY: "" };
    expect(run("app:$TAG ${TAG} ${MISSING:-dev} ${EMPTY:-fallback} ${EMPTY-kept} ${TAG:+set} ${MISSING+set} $$HOME", env).out).toBe("app:1.2 1.2 dev fallback  set  $HOME");
    expect(run("${MISSING:-${TAG}}", env).out).toBe("1.2");
    expect(run({ list: ["${TAG}"], n: 1 }, env).out).toEqual({ list: ["1.2"], n: 1 });
  });

  it("reports unset variables and required ones", () => {
    expect(run("x${NOPE}y", {})).toMatchObject({ out: "xy", unset: ["NOPE"] });
    expect(run("${NOPE:?give it}", {}).errors).toEqual(["required variable NOPE is not set: give it"]);
    expect(run("${NOPE", {}).errors[0]).toMatch(/unterminated/);
  });
});

describe(".env files", () => {
  it("reads names, quotes, exports and comments", () => {
    const { entries, errors } = parseEnvFile(`# comment\nA=1\nexport B="two\\nlines" \nC='lit $X'\nD=value # note\nE\n\nF=`);
    expect(errors).toEqual([]);
    expect(entries.map((e) => [e.name, e.value, e.literal])).toEqual([
      ["A", "1", false],
      ["B", "two\nlines", false],
      ["C", "lit $X", true],
      ["D", "value", false],
      ["E", undefined, true],
      ["F", "", false],
    ]);
  });

  it("reports malformed lines by number", () => {
    expect(parseEnvFile("A=1\n=2\nB='open").errors).toEqual([
      { line: 2, message: "not a KEY=VALUE line: =2" },
      { line: 3, message: "unterminated single quote" },
    ]);
  });
});

describe("Fargate sizes", () => {
  it("knows AWS's table", () => {
    expect(FARGATE_SIZES).toHaveLength(3 + 4 + 7 + 13 + 23 + 12 + 12);
    expect(isFargateSize({ cpu: 512, memory: 3072 })).toBe(true);
    expect(isFargateSize({ cpu: 256, memory: 4096 })).toBe(false);
  });

  it("rounds up to the smallest size that fits, fewest CPUs first", () => {
    expect(fargateSizeFor({ cpu: 0, memory: 0 })).toEqual({ cpu: 256, memory: 512 });
    expect(fargateSizeFor({ cpu: 300, memory: 600 })).toEqual({ cpu: 512, memory: 1024 });
    expect(fargateSizeFor({ cpu: 256, memory: 3000 })).toEqual({ cpu: 512, memory: 3072 });
    expect(fargateSizeFor({ cpu: 768, memory: 1536 })).toEqual({ cpu: 1024, memory: 2048 });
    expect(fargateSizeFor({ cpu: 4096, memory: 40000 })).toEqual({ cpu: 8192, memory: 40960 });
    expect(fargateSizeFor({ cpu: 20000, memory: 1024 })).toBeUndefined();
  });
});
