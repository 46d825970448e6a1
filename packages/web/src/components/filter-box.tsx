import { useEffect, useRef, useState } from "preact/hooks";

/** Props of {@link FilterBox}. */
export interface FilterBoxProps {
  /** DOM id of the input; its help and error lines get `-help` and `-error`. */
  readonly id: string;
  /** The filter in force (from the URL): the box shows it when it changes from outside. */
  readonly value: string;
  /** Called with the text to send as `filters: [text]`, after typing pauses or on Enter. */
  readonly onApply: (filter: string) => void;
  /** The server's message when it rejected the filter. */
  readonly error: string | undefined;
  readonly placeholder: string;
}

const DEBOUNCE_MS = 300;

/** A filter in containerd's syntax (`labels.env==dev,image~=redis`); the server parses it. */
export function FilterBox({ id, value, onApply, error, placeholder }: FilterBoxProps) {
  const [text, setText] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  // Back/forward or a pasted link changed the filter: show it.
  useEffect(() => {
    setText((current) => (current.trim() === value.trim() ? current : value));
  }, [value]);
  const apply = (next: string) => {
    clearTimeout(timer.current);
    onApply(next);
  };
  return (
    <form
      class="filter"
      onSubmit={(event) => {
        event.preventDefault();
        apply(text);
      }}
    >
      <label for={id}>Filter</label>
      <input
        id={id}
        type="search"
        value={text}
        spellcheck={false}
        autocomplete="off"
        placeholder={placeholder}
        aria-describedby={`${id}-help ${id}-error`}
        aria-invalid={error !== undefined}
        onInput={(event) => {
          const next = event.currentTarget.value;
          setText(next);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => onApply(next), DEBOUNCE_MS);
        }}
      />
      <span id={`${id}-help`} class="visually-hidden">
        containerd filter syntax: field==value, field!=value or field~=regex; a comma means and.
      </span>
      <p id={`${id}-error`} class="filter-error" role="alert">
        {error}
      </p>
    </form>
  );
}
