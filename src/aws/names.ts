import { createHash } from "node:crypto";

export interface NameRules {
  maxLength: number;
  /** Characters AWS does not allow in this kind of name. */
  invalid: RegExp;
  separator: string;
}

/**
 * The AWS name for an object that does not set one: `<namespace><sep><name>`, readable and
 * stable. Where the join could be ambiguous, characters must be replaced or the result is too
 * long, a hash of the exact namespace/name is appended, so two objects never derive one name.
 */
export function derivedAwsName(namespace: string, name: string, rules: NameRules): string {
  const plain = `${namespace}${rules.separator}${name}`;
  const cleaned = plain.replace(rules.invalid, "-");
  // The join is unambiguous only if the separator occurs in neither part ("a-b"+"c" vs "a"+"b-c").
  const unambiguous = !namespace.includes(rules.separator) && !name.includes(rules.separator);
  if (unambiguous && cleaned === plain && plain.length <= rules.maxLength) return plain;
  const hash = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 8);
  return `${cleaned.slice(0, rules.maxLength - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}
