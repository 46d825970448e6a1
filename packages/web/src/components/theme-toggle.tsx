import { useEffect, useState } from "preact/hooks";
import { applyTheme, chooseTheme, storedTheme, systemTheme, type Theme } from "../model/theme.js";

/** Switches between light and dark; follows the system until pressed. Its label says what pressing does. */
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
  const next: Theme = (chosen ?? system) === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      class="button button-quiet"
      onClick={() => {
        chooseTheme(next);
        setChosen(next);
      }}
    >
      {next === "dark" ? "Switch to dark theme" : "Switch to light theme"}
    </button>
  );
}
