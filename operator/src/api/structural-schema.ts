// A small typed builder for Kubernetes structural OpenAPI v3 schemas.
//
// Why not TypeBox or zod: a CRD schema has to be *structural* (every node typed, no $ref,
// no anyOf at the top of a property, x-kubernetes-* extensions, CEL rules) and the types
// the operator reads are the *defaulted* objects the API server returns, which differ from
// what a user writes (a field with a default is optional in the manifest but always present
// when read back). A few dozen lines give both views from one definition: each builder
// returns the schema JSON plus two phantom types, `Out` (as read from the API server) and
// `In` (as written in a manifest), and requires a description on every node.

declare const phantom: unique symbol;

/** One rule of `x-kubernetes-validations` (CEL), as the API server expects it. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** JSON path (relative to the node holding the rule) of the field to blame. */
  fieldPath?: string;
  reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The wire form of a structural schema node (the subset this project uses). */
export interface OpenAPISchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, OpenAPISchema>;
  required?: string[];
  items?: OpenAPISchema;
  additionalProperties?: OpenAPISchema;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

/**
 * A schema node. `Out`/`In` are phantom types (never present at run time); `required` and
 * `defaulted` decide whether the property is optional in the enclosing object's types.
 */
export interface Schema<Out, In = Out, R extends boolean = false, D extends boolean = false> {
  readonly openAPI: OpenAPISchema;
  readonly required: R;
  readonly defaulted: D;
  readonly [phantom]?: { out: Out; in: In };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema, whatever its types
export type AnySchema = Schema<any, any, boolean, boolean>;

/** The type of a value as the API server returns it (defaults applied). */
export type OutOf<S> = S extends Schema<infer O, unknown, boolean, boolean> ? O : never;
/** The type of a value as a user may write it (defaulted fields optional). */
export type InOf<S> = S extends Schema<unknown, infer I, boolean, boolean> ? I : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Properties = Record<string, AnySchema>;
type PresentWhenRead<P extends Properties> = {
  [K in keyof P]: P[K] extends { required: true } | { defaulted: true } ? K : never;
}[keyof P];
type RequiredWhenWritten<P extends Properties> = {
  [K in keyof P]: P[K] extends { required: true } ? K : never;
}[keyof P];
type ObjectOut<P extends Properties> = Simplify<
  { [K in PresentWhenRead<P>]: OutOf<P[K]> } & {
    [K in Exclude<keyof P, PresentWhenRead<P>>]?: OutOf<P[K]>;
  }
>;
type ObjectIn<P extends Properties> = Simplify<
  { [K in RequiredWhenWritten<P>]: InOf<P[K]> } & {
    [K in Exclude<keyof P, RequiredWhenWritten<P>>]?: InOf<P[K]>;
  }
>;

/** Options every node accepts. The description is mandatory: it becomes `kubectl explain` and docs/api.md. */
interface Common<T> {
  description: string;
  default?: T;
  validations?: ValidationRule[];
}
type HasDefault<O> = O extends { default: unknown } ? true : false;

function node<Out, In, D extends boolean>(
  openAPI: OpenAPISchema,
  options: Common<unknown>,
): Schema<Out, In, false, D> {
  const { description, default: defaultValue, validations } = options;
  // Key order is for the reader of the generated YAML: what it is, then its constraints.
  const schema: OpenAPISchema = {
    ...(openAPI.type ? { type: openAPI.type } : {}),
    description,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    ...openAPI,
  };
  const rules = [...(openAPI['x-kubernetes-validations'] ?? []), ...(validations ?? [])];
  if (rules.length) schema['x-kubernetes-validations'] = rules;
  return { openAPI: schema, required: false, defaulted: (defaultValue !== undefined) as D };
}

export interface StringOptions extends Common<string> {
  pattern?: string;
  minLength?: number;
  /** Always set it: the API server estimates the cost of CEL rules from it. */
  maxLength: number;
  format?: string;
}
export function string<O extends StringOptions>(
  options: O,
): Schema<string, string, false, HasDefault<O>> {
  const { pattern, minLength, maxLength, format } = options;
  return node({ type: 'string', ...defined({ pattern, minLength, maxLength, format }) }, options);
}

export function enumeration<
  const V extends readonly [string, ...string[]],
  O extends Common<V[number]>,
>(values: V, options: O): Schema<V[number], V[number], false, HasDefault<O>> {
  return node({ type: 'string', enum: values }, options);
}

export interface IntegerOptions extends Common<number> {
  minimum: number;
  maximum: number;
  format?: 'int32' | 'int64';
}
export function integer<O extends IntegerOptions>(
  options: O,
): Schema<number, number, false, HasDefault<O>> {
  const { minimum, maximum, format } = options;
  return node({ type: 'integer', ...defined({ format, minimum, maximum }) }, options);
}

export function boolean<O extends Common<boolean>>(
  options: O,
): Schema<boolean, boolean, false, HasDefault<O>> {
  return node({ type: 'boolean' }, options);
}

/** A Kubernetes resource quantity (`500m`, `1`, `1Gi`), written as a number or a string. */
export function quantity<O extends Common<string | number>>(
  options: O,
): Schema<string | number, string | number, false, HasDefault<O>> {
  return node(
    {
      'x-kubernetes-int-or-string': true,
      maxLength: 32,
      'x-kubernetes-validations': [
        {
          rule: "isQuantity(string(self)) && quantity(string(self)).compareTo(quantity('0')) >= 0",
          message: 'must be a non-negative Kubernetes quantity such as 500m, 1, 256Mi or 1Gi',
        },
      ],
    },
    options,
  );
}

export interface StringMapOptions extends Common<Record<string, string>> {
  maxProperties: number;
  maxValueLength: number;
}
export function stringMap<O extends StringMapOptions>(
  options: O,
): Schema<Record<string, string>, Record<string, string>, false, HasDefault<O>> {
  return node(
    {
      type: 'object',
      maxProperties: options.maxProperties,
      additionalProperties: { type: 'string', maxLength: options.maxValueLength },
    },
    options,
  );
}

export interface ArrayOptions<T> extends Common<T[]> {
  maxItems: number;
  minItems?: number;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}
export function array<I extends AnySchema, O extends ArrayOptions<InOf<I>>>(
  items: I,
  options: O,
): Schema<OutOf<I>[], InOf<I>[], false, HasDefault<O>> {
  const { maxItems, minItems, listType, listMapKeys } = options;
  return node(
    {
      type: 'array',
      items: items.openAPI,
      ...defined({
        minItems,
        maxItems,
        'x-kubernetes-list-type': listType,
        'x-kubernetes-list-map-keys': listMapKeys,
      }),
    },
    options,
  );
}

export function object<P extends Properties, O extends Common<ObjectIn<P>>>(
  properties: P,
  options: O,
): Schema<ObjectOut<P>, ObjectIn<P>, false, HasDefault<O>> {
  const required = Object.keys(properties).filter((key) => properties[key]!.required);
  const openAPIProperties = Object.fromEntries(
    Object.entries(properties).map(([key, s]) => [key, s.openAPI]),
  );
  const openAPI: OpenAPISchema = {
    type: 'object',
    properties: openAPIProperties,
    ...(required.length ? { required } : {}),
  };
  // The API server checks a default against the node's CEL rules as written, before nested
  // defaults: spell out what `{}` becomes, so rules reading defaulted fields accept it.
  const expandedDefault =
    options.default === undefined ? undefined : applyDefaults(openAPI, options.default);
  return node(openAPI, { ...options, default: expandedDefault });
}

/** Marks a property as required (it cannot then have a default: a default makes it optional). */
export function required<Out, In>(
  schema: Schema<Out, In, false, false>,
): Schema<Out, In, true, false> {
  return { ...schema, required: true };
}

/**
 * Applies the schema's defaults to a value the way the API server does (structural
 * defaulting): a missing property with a default gets a copy of it, then defaulting
 * recurses into every present property, including values that were just defaulted.
 */
export function applyDefaults(schema: OpenAPISchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    return schema.items ? value.map((item) => applyDefaults(schema.items!, item)) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (result[key] === undefined && property.default !== undefined)
      result[key] = structuredClone(property.default);
    if (result[key] !== undefined) result[key] = applyDefaults(property, result[key]);
  }
  if (schema.additionalProperties) {
    for (const key of Object.keys(result)) {
      if (!schema.properties?.[key])
        result[key] = applyDefaults(schema.additionalProperties, result[key]);
    }
  }
  return result;
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
