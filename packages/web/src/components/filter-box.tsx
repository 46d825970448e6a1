import { useEffect, useRef, useState } from "preact/hooks";

/** Props of {@link FilterBox}. */
export interface FilterBoxProps {
  /** Called with the text to send as `filters: [text]`, after typing pauses or on Enter. */
  readonly onApply: (filter: string) => void;
  /** The server's message when it rejected the filter. */
  readonly error: string | undefined;
}

const DEBOUNCE_MS = 300;

/** A filter in containerd's syntax (`labels.env==dev,image~=redis`); the server parses it. */
export function FilterBox({ onApply, error }: FilterBoxProps) {
  const [text, setText] = useState("");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const apply = (value: string) => {
    clearTimeout(timer.current);
    onApply(value);
  };
  return (
    <form
      class="filter"
      onSubmit={(event) => {
        event.preventDefault();
        apply(text);
      }}
    >
      <label for="filter">Filter</label>
      <input
        id="filter"
        type="search"
        value={text}
        spellcheck={false}
        autocomplete="off"
        placeholder="labels.env==dev,image~=redis"
        aria-describedby="filter-help filter-error"
        aria-invalid={error !== undefined}
        onInput={(event) => {
          const value = event.currentTarget.value;
          setText(value);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => onApply(value), DEBOUNCE_MS);
        }}
      />
      <span id="filter-help" class="visually-hidden">
        containerd filter syntax: field==value, field!=value or field~=regex; a comma means and.
      </span>
      <p id="filter-error" class="filter-error" role="alert">
        {error}
      </p>
    </form>
  );
}
