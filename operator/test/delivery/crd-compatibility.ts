// Whether a new CustomResourceDefinition can replace an old one while the old one's
// clients keep working. The NotejamInstance CRD is one for the whole cluster and comes
// from the dev branch (config/argocd/platform), while test and prod still run older
// operators and older instances: every object they write must stay valid, every field they
// read must keep its meaning. So, per version of the old CRD:
// - the version is still served (and the storage version the same);
// - no property disappears and none changes type;
// - nothing accepted before is refused now: no new required field (unless defaulted), no
//   enum value gone, no tighter bound, length, count or pattern, no added format, no new
//   CEL rule on an existing field, unknown fields or null kept where they were allowed;
// - no default is added, changed or removed on an existing field (defaults are applied
//   when objects are read, so that would change what old objects say); an object's default
//   may only gain the keys of new properties, each with that property's own default, which
//   the API server fills in below the old default anyway (what objects read is the same);
// - list and map semantics (x-kubernetes-list-type, ...), subresources, names and scope stay.
// New optional fields, looser bounds and removed rules are compatible.

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string }>;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: { status?: object; scale?: object };
}

export interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string };
    versions: CrdVersion[];
  };
}

/** Lower bounds: raising one refuses values accepted before. */
const lowerBounds = ['minimum', 'minLength', 'minItems', 'minProperties'] as const;
/** Upper bounds: lowering one refuses values accepted before. */
const upperBounds = ['maximum', 'maxLength', 'maxItems', 'maxProperties'] as const;
/** Keywords whose every change alters what is accepted or how it is merged. */
const unchangeable = [
  'format',
  'pattern',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A value as the API server completes it with a schema's defaults: a missing property takes
 * its default, then the defaults below it apply (structural defaulting, also below a
 * default it has just set), in objects and in every item of a list. Keys come out sorted,
 * so that equal values compare equal.
 */
function withDefaults(value: unknown, schema: JsonSchema): unknown {
  if (Array.isArray(value))
    return value.map((item) => (schema.items ? withDefaults(item, schema.items) : item));
  if (value === null || typeof value !== 'object') return value;
  const completed: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (completed[name] === undefined && property.default !== undefined)
      completed[name] = property.default;
  }
  return Object.fromEntries(
    Object.keys(completed)
      .sort()
      .map((name) => {
        const property = schema.properties?.[name];
        return [name, property ? withDefaults(completed[name], property) : completed[name]];
      }),
  );
}

/** Every change of `next` that would break a client of `previous`, one line each. */
export function breakingChanges(previous: Crd, next: Crd): string[] {
  const problems: string[] = [];
  const old = previous.spec;
  const now = next.spec;
  for (const field of ['group', 'scope'] as const) {
    if (old[field] !== now[field])
      problems.push(`${field} changed from ${old[field]} to ${now[field]}`);
  }
  for (const field of ['kind', 'plural'] as const) {
    if (old.names[field] !== now.names[field])
      problems.push(`names.${field} changed from ${old.names[field]} to ${now.names[field]}`);
  }
  for (const version of old.versions) {
    const successor = now.versions.find((candidate) => candidate.name === version.name);
    if (!successor) {
      problems.push(`version ${version.name} was removed`);
      continue;
    }
    if (version.served && !successor.served)
      problems.push(`version ${version.name} is no longer served`);
    if (version.storage !== successor.storage)
      problems.push(
        `version ${version.name} ${version.storage ? 'is no longer' : 'became'} the storage version`,
      );
    for (const subresource of ['status', 'scale'] as const) {
      if (version.subresources?.[subresource] && !successor.subresources?.[subresource])
        problems.push(`version ${version.name} lost its ${subresource} subresource`);
    }
    compareSchemas(
      version.schema?.openAPIV3Schema ?? {},
      successor.schema?.openAPIV3Schema ?? {},
      version.name,
      problems,
    );
  }
  return problems;
}

function compareSchemas(old: JsonSchema, now: JsonSchema, path: string, problems: string[]): void {
  const report = (problem: string) => problems.push(`${path}: ${problem}`);
  if (old.type !== now.type)
    report(`type changed from ${old.type ?? 'any'} to ${now.type ?? 'any'}`);
  for (const keyword of unchangeable) {
    if (!same(old[keyword], now[keyword]))
      report(
        `${keyword} changed from ${JSON.stringify(old[keyword])} to ${JSON.stringify(now[keyword])}`,
      );
  }
  for (const keyword of lowerBounds) {
    const before = old[keyword];
    const after = now[keyword];
    if (after !== undefined && (before === undefined || after > before))
      report(`${keyword} raised from ${before ?? 'none'} to ${after}`);
  }
  for (const keyword of upperBounds) {
    const before = old[keyword];
    const after = now[keyword];
    if (after !== undefined && (before === undefined || after < before))
      report(`${keyword} lowered from ${before ?? 'none'} to ${after}`);
  }
  for (const keyword of ['exclusiveMinimum', 'exclusiveMaximum'] as const) {
    if (now[keyword] && !old[keyword]) report(`${keyword} added`);
  }
  if (old.enum !== undefined) {
    const gone = old.enum.filter(
      (value) => !(now.enum ?? old.enum)?.some((kept) => same(kept, value)),
    );
    if (gone.length > 0)
      report(`enum lost ${gone.map((value) => JSON.stringify(value)).join(', ')}`);
  } else if (now.enum !== undefined) {
    report('enum added');
  }
  if (!same(withDefaults(old.default, now), withDefaults(now.default, now)))
    report(`default changed from ${JSON.stringify(old.default)} to ${JSON.stringify(now.default)}`);
  if (old.nullable && !now.nullable) report('no longer nullable');
  if (old['x-kubernetes-preserve-unknown-fields'] && !now['x-kubernetes-preserve-unknown-fields'])
    report('no longer preserves unknown fields');
  const oldRules = new Set((old['x-kubernetes-validations'] ?? []).map((entry) => entry.rule));
  for (const { rule } of now['x-kubernetes-validations'] ?? []) {
    if (!oldRules.has(rule)) report(`new validation rule ${JSON.stringify(rule)}`);
  }
  for (const name of now.required ?? []) {
    if (!(old.required ?? []).includes(name) && now.properties?.[name]?.default === undefined)
      report(`${name} became required`);
  }
  for (const [name, property] of Object.entries(old.properties ?? {})) {
    const successor = now.properties?.[name];
    if (successor === undefined) report(`property ${name} was removed`);
    else compareSchemas(property, successor, `${path}.${name}`, problems);
  }
  if (old.items) {
    if (now.items) compareSchemas(old.items, now.items, `${path}[]`, problems);
    else report('items schema was removed');
  }
  if (typeof old.additionalProperties === 'object') {
    if (typeof now.additionalProperties === 'object')
      compareSchemas(old.additionalProperties, now.additionalProperties, `${path}{}`, problems);
    else report('additionalProperties schema was removed');
  }
}
