/** Props of {@link SearchBox}. */
export interface SearchBoxProps {
  readonly id: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  /** What is searched, for the hint. */
  readonly placeholder: string;
}

/** The quick search over rows already loaded: narrows as you type, nothing is sent to the server. */
export function SearchBox({ id, value, onChange, placeholder }: SearchBoxProps) {
  return (
    <div class="search">
      <label for={id}>Search</label>
      <input
        id={id}
        type="search"
        value={value}
        spellcheck={false}
        autocomplete="off"
        placeholder={placeholder}
        onInput={(event) => onChange(event.currentTarget.value)}
      />
    </div>
  );
}
