// Reads metric names out of PromQL with Prometheus' own grammar (the Lezer parser that the
// Prometheus UI uses), so the consistency test sees exactly the selectors Prometheus would.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

/** Grafana's built-in interval variables, replaced by a duration so the query parses. */
const grafanaDurationVariable =
  /\$(?:__rate_interval|__interval|__range)\b|\$\{(?:__rate_interval|__interval|__range)\}/g;

export function withGrafanaVariablesResolved(expr: string): string {
  return expr.replace(grafanaDurationVariable, '5m');
}

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  name: string;
  matchers: Matcher[];
}

/**
 * The vector selectors of an expression with their metric name and label matchers. Throws
 * on a syntax error and on a selector whose name is not a literal (a regex on `__name__`),
 * because such a query cannot be checked.
 */
export function selectors(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const found: Selector[] = [];
  const problems: string[] = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) {
        problems.push(
          `syntax error at offset ${ref.from}: "${expr.slice(ref.from, ref.from + 20)}"`,
        );
        return false;
      }
      if (ref.name !== 'VectorSelector') return undefined;
      const matchers = labelMatchers(ref.node, expr);
      const identifier = ref.node.getChild('Identifier');
      const nameMatcher = matchers.find((m) => m.label === '__name__');
      const name = identifier
        ? expr.slice(identifier.from, identifier.to)
        : nameMatcher?.op === '='
          ? nameMatcher.value
          : undefined;
      if (name === undefined)
        problems.push(`selector without a literal metric name: ${expr.slice(ref.from, ref.to)}`);
      else found.push({ name, matchers: matchers.filter((m) => m.label !== '__name__') });
      return false;
    },
  });
  if (problems.length > 0) throw new Error(`${problems.join('; ')} in: ${expr}`);
  return found;
}

/** The metric names an expression selects (see `selectors`). */
export function metricNames(expr: string): Set<string> {
  return new Set(selectors(expr).map((s) => s.name));
}

const matchOps: Record<string, Matcher['op']> = {
  EqlSingle: '=',
  Neq: '!=',
  EqlRegex: '=~',
  NeqRegex: '!~',
};

function labelMatchers(selector: SyntaxNode, expr: string): Matcher[] {
  return (selector.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []).map(
    (matcher) => {
      const label = matcher.getChild('LabelName');
      const op = matcher.getChild('MatchOp')?.firstChild;
      const value = matcher.getChild('StringLiteral');
      if (!label || !op || !value || !(op.name in matchOps)) {
        throw new Error(`unsupported label matcher: ${expr.slice(matcher.from, matcher.to)}`);
      }
      return {
        label: expr.slice(label.from, label.to),
        op: matchOps[op.name],
        value: JSON.parse(expr.slice(value.from, value.to).replace(/^'(.*)'$/s, '"$1"')) as string,
      };
    },
  );
}
