/**
 * A request's shape problems, in the words of the queue's validator ("is required", "is not a known field"),
 * from TypeBox's JSON Schema errors: one problem per field, the first that explains it.
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

export interface FieldProblem {
  readonly field: string;
  readonly problem: string;
}

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

/** `/payload/aps` → `payload.aps`; `/tokens/3` → `tokens[3]`. */
function fieldOf(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (child !== undefined) parts.push(child);
  return parts.reduce((path, p) => (/^\d+$/.test(p) ? `${path}[${p}]` : path ? `${path}.${p}` : p), '');
}

const article = (t: string) => (t === 'object' || t === 'integer' || t === 'array' ? `an ${t}` : `a ${t}`);

function describe(
  e: SchemaError,
  siblings: readonly SchemaError[],
  known: readonly string[],
): FieldProblem[] {
  switch (e.keyword) {
    case 'required':
      return ((e.params.requiredProperties as string[] | undefined) ?? []).map((name) => ({
        field: fieldOf(e.instancePath, name),
        problem: 'is required',
      }));
    case 'additionalProperties':
      return ((e.params.additionalProperties as string[] | undefined) ?? []).map((name) => ({
        field: fieldOf(e.instancePath, name),
        problem: `is not a known field (expected ${known.join(', ')})`,
      }));
    case 'anyOf': {
      const types = siblings
        .filter((s) => s.keyword === 'type' && s.instancePath === e.instancePath)
        .map((s) => String(s.params.type));
      return [
        {
          field: fieldOf(e.instancePath) || 'body',
          problem: types.length > 0 ? `must be ${types.map(article).join(' or ')}` : e.message,
        },
      ];
    }
    case 'type':
      return [
        { field: fieldOf(e.instancePath) || 'body', problem: `must be ${article(String(e.params.type))}` },
      ];
    case 'maxItems':
      return [{ field: fieldOf(e.instancePath), problem: `has more than ${e.params.limit} items (the cap)` }];
    case 'minItems':
      return [{ field: fieldOf(e.instancePath), problem: `must have at least ${e.params.limit} item` }];
    case 'boolean':
      return []; // "schema is false" for an extra field: additionalProperties says it better
    default:
      return [{ field: fieldOf(e.instancePath) || 'body', problem: e.message }];
  }
}

export interface ShapeChecker {
  /** Problems of `value`, one per field (empty when its shape is right). */
  problems(value: unknown): FieldProblem[];
}

/** Compile `schema` once; check many values against it. */
export function shapeChecker(schema: TSchema): ShapeChecker {
  const compiled = Compile(schema);
  const known = Object.keys((schema as { properties?: object }).properties ?? {});
  return {
    problems(value) {
      if (compiled.Check(value)) return [];
      const errors = compiled.Errors(value) as unknown as SchemaError[];
      // Errors under an anyOf branch are explained by the anyOf itself.
      const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
      const seen = new Set<string>();
      const out: FieldProblem[] = [];
      for (const e of errors) {
        if (e.keyword !== 'anyOf' && anyOfPaths.has(e.instancePath) && e.schemaPath.includes('/anyOf/'))
          continue;
        for (const p of describe(e, errors, known)) {
          if (seen.has(p.field)) continue;
          seen.add(p.field);
          out.push(p);
        }
      }
      return out;
    },
  };
}
