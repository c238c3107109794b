// Kubernetes resource quantities (`500m`, `0.5`, `1Gi`, `1e3`) held exactly as a BigInt
// count of nano-units, so `1Gi` equals `1024Mi` and `500m` equals `0.5`.

const NANOS = 1_000_000_000n;
const SUFFIXES = {
  "": [1n, 0], n: [1n, -9], u: [1n, -6], m: [1n, -3], k: [1n, 3], M: [1n, 6], G: [1n, 9],
  T: [1n, 12], P: [1n, 15], E: [1n, 18], Ki: [1n << 10n, 0], Mi: [1n << 20n, 0],
  Gi: [1n << 30n, 0], Ti: [1n << 40n, 0], Pi: [1n << 50n, 0], Ei: [1n << 60n, 0],
};

/** Why a value is not a Kubernetes quantity. */
export class QuantityError extends Error {
  constructor(text, reason) {
    super(`\`${text}\` is not a Kubernetes quantity: ${reason}`);
  }
}

function suffixOf(s) {
  if (Object.hasOwn(SUFFIXES, s)) return SUFFIXES[s];
  if (s[0] === "e" || s[0] === "E") {
    if (!/^[+-]?[0-9]+$/.test(s.slice(1))) return null;
    const exp = Number(s.slice(1));
    if (exp >= -30 && exp <= 30) return [1n, exp];
  }
  return null;
}

const ceilDiv = (a, b) => (a >= 0n ? (a + b - 1n) / b : -(-a / b));

/** A parsed Kubernetes quantity, exact to 1e-9 of a unit. */
export class Quantity {
  constructor(nanos) {
    this.nanos = nanos;
  }

  /** Parses a quantity string or a JSON number. */
  static parse(value) {
    if (typeof value === "number") {
      if (Number.isInteger(value)) return new Quantity(BigInt(value) * NANOS);
      value = String(value);
    }
    if (typeof value !== "string") throw new QuantityError(value, "not a string or number");
    let s = value.trim();
    if (s === "") throw new QuantityError(value, "empty");
    const negative = s[0] === "-";
    if (s[0] === "-" || s[0] === "+") s = s.slice(1);
    const [, number, suffix] = /^([0-9.]*)(.*)$/s.exec(s);
    if (number === "" || number === ".") throw new QuantityError(value, "no digits");
    const parts = number.split(".");
    if (parts.length > 2) throw new QuantityError(value, "more than one decimal point");
    const [intPart, frac = ""] = parts;
    const parsed = suffixOf(suffix);
    if (!parsed) throw new QuantityError(value, "unknown suffix");
    const [binary, decimal] = parsed;
    const exponent = decimal - frac.length + 9;
    let nanos = BigInt(intPart + frac || "0") * binary;
    if (exponent >= 0) nanos *= 10n ** BigInt(exponent);
    else nanos = ceilDiv(nanos, 10n ** BigInt(-exponent));
    return new Quantity(negative ? -nanos : nanos);
  }

  /** The value in milli-units, rounded up (a BigInt). */
  millis() {
    return ceilDiv(this.nanos, 1_000_000n);
  }

  /** The value in whole units, rounded up (a BigInt). */
  units() {
    return ceilDiv(this.nanos, NANOS);
  }

  /** `this / other` as a number; null when `other` is zero. */
  ratioTo(other) {
    return other.nanos === 0n ? null : Number(this.nanos) / Number(other.nanos);
  }

  /** -1, 0 or 1. */
  compare(other) {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }
}
