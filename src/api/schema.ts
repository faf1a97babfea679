import { Type, type SchemaOptions, type TSchema, type TUnsafe } from "@sinclair/typebox";

/**
 * Helpers that keep TypeBox schemas inside the structural OpenAPI subset a CRD accepts: no
 * `anyOf` for enums, no `patternProperties` for maps. Every helper takes a description because
 * `kubectl explain` shows it; a unit test checks that no field goes without one.
 */

export interface CelRule {
  rule: string;
  /**
   * A fixed message; `messageExpression` (CEL, evaluated on the value) can show the value itself.
   * Show an integer with `'... %d'.format([self.x])`: the API server cannot bound the size of
   * `string(self.x)` for an int and refuses the CRD for its estimated cost.
   */
  message?: string;
  messageExpression?: string;
  /** Names the field the message is about, so kubectl points at it. */
  fieldPath?: string;
  /** Transition rules compare with the stored object (immutability). */
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

export interface FieldOptions extends SchemaOptions {
  validations?: CelRule[];
}

/** Moves `validations` to the CRD's `x-kubernetes-validations` extension. */
function withExtensions(options: FieldOptions): SchemaOptions {
  const { validations, ...rest } = options;
  return validations && validations.length > 0 ? { ...rest, "x-kubernetes-validations": validations } : rest;
}

export function StringEnum<const T extends readonly string[]>(values: T, description: string, options: FieldOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], description, ...withExtensions(options) });
}

/** A map of string to string, as Kubernetes labels are, rather than AWS's list of Key/Value pairs. */
export function StringMap(description: string, options: FieldOptions = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ type: "object", additionalProperties: { type: "string" }, description, ...withExtensions(options) });
}

export function Str(description: string, options: FieldOptions = {}) {
  return Type.String({ description, ...withExtensions(options) });
}

export function Int(description: string, options: FieldOptions = {}) {
  return Type.Integer({ description, ...withExtensions(options) });
}

export function Num(description: string, options: FieldOptions = {}) {
  return Type.Number({ description, ...withExtensions(options) });
}

/** A free-form JSON object passed to AWS as it is (a Lambda hook's details): the API server keeps every field. */
export function AnyObject(description: string): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: "object", "x-kubernetes-preserve-unknown-fields": true, description });
}

export function Bool(description: string, options: FieldOptions = {}) {
  return Type.Boolean({ description, ...withExtensions(options) });
}

export function Obj<T extends Record<string, TSchema>>(properties: T, description: string, options: FieldOptions = {}) {
  return Type.Object(properties, { description, ...withExtensions(options) });
}

export function List<T extends TSchema>(items: T, description: string, options: FieldOptions = {}) {
  return Type.Array(items, { description, ...withExtensions(options) });
}

export function Optional<T extends TSchema>(schema: T) {
  return Type.Optional(schema);
}

/** A transition rule: the field may be set at creation and never changed afterwards. */
export function immutable(field: string, why = "is immutable"): CelRule {
  return { rule: "self == oldSelf", message: `${field} ${why}` };
}

/** A reference to another object of this operator, by name, in the same namespace only. */
export function NameRef(what: string, description = `A ${what} in the same namespace, by name.`, options: FieldOptions = {}) {
  return Obj({ name: Str(`The name of the ${what} in the same namespace.`, { minLength: 1 }) }, description, options);
}
