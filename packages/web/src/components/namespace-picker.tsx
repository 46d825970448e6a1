/** Props of {@link NamespacePicker}. */
export interface NamespacePickerProps {
  readonly value: string;
  /** Names from Namespaces.List; `value` is offered even when it is not among them. */
  readonly names: readonly string[];
  readonly onChange: (namespace: string) => void;
  /** Called when the picker gets focus, to refresh the names. */
  readonly onFocus: () => void;
}

/** The containerd namespace whose containers are shown. */
export function NamespacePicker({ value, names, onChange, onFocus }: NamespacePickerProps) {
  const options = names.includes(value) ? names : [...names, value].sort();
  return (
    <div class="field-inline">
      <label for="namespace">Namespace</label>
      <select id="namespace" value={value} onFocus={onFocus} onChange={(event) => onChange(event.currentTarget.value)}>
        {options.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </div>
  );
}
