import { useEffect, useState } from "preact/hooks";
import { applyTheme, chooseTheme, storedTheme, systemTheme, type Theme } from "../model/theme.js";

/** A toggle button for the dark theme; follows the system until pressed. */
export function ThemeToggle() {
  const [chosen, setChosen] = useState<Theme | undefined>(storedTheme);
  const [system, setSystem] = useState<Theme>(systemTheme);
  useEffect(() => {
    applyTheme(chosen);
  }, [chosen]);
  useEffect(() => {
    const query = matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => setSystem(systemTheme());
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, []);
  const dark = (chosen ?? system) === "dark";
  return (
    <button
      type="button"
      class="button button-quiet"
      aria-pressed={dark}
      onClick={() => {
        const next = dark ? "light" : "dark";
        chooseTheme(next);
        setChosen(next);
      }}
    >
      Dark theme
    </button>
  );
}
