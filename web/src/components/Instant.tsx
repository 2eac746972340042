/** A local date-time input whose value is an ISO instant (or '' for now). */
export function InstantInput({ label, value, onChange }: { label: string; value: string; onChange: (iso: string) => void }) {
  const local = value ? new Date(new Date(value).getTime() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 19) : '';
  return (
    <label>
      {label}
      <input type="datetime-local" step={1} value={local} onChange={(e) => onChange(e.target.value ? new Date(e.target.value).toISOString() : '')} />
    </label>
  );
}
