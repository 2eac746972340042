import { ReactNode } from 'react';
import { usd, when } from '../format';

type Row = Record<string, unknown>;

/**
 * A table from rows of flat-ish objects: columns named, or taken from the first row. Values are
 * formatted by their field's name, so every view shows money and times the same way:
 * `…MicroUsd` as dollars, `…At`/`time` as local time, objects and arrays as compact text.
 */
export function AutoTable({ rows, columns, label, actions }: { rows: Row[]; columns?: string[]; label: string; actions?: (row: Row) => ReactNode }) {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table>
        <thead>
          <tr>
            {cols.map((c) => (
              <th scope="col" key={c}>
                {heading(c)}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {cols.map((c) => (
                <td key={c}>{cell(c, row[c])}</td>
              ))}
              {actions ? <td className="actions">{actions(row)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** camelCase → words, without the unit (the cell shows it). */
export function heading(field: string): string {
  const words = field
    .replace(/MicroUsd$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function cell(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (/MicroUsd$/.test(field) && typeof value === 'string' && /^-?\d+$/.test(value)) return usd(value);
  if ((/At$/.test(field) || field === 'time') && typeof value === 'string') return when(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? compact(v as Row) : String(v))).join(', ');
  if (typeof value === 'object') return compact(value as Row);
  return String(value);
}

function compact(obj: Row): string {
  return Object.entries(obj)
    .map(([k, v]) => `${k}: ${/MicroUsd$/.test(k) && typeof v === 'string' ? usd(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
}
