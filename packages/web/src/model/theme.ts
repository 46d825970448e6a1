/** Light and dark themes: the system's choice unless the user picked one, kept in localStorage. */

/** A theme the user chose. */
export type Theme = "light" | "dark";

const STORAGE_KEY = "berth.theme";

/** The stored choice, if any. */
export function storedTheme(): Theme | undefined {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === "light" || value === "dark" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The theme the system prefers. */
export function systemTheme(): Theme {
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** Applies a theme to the document (`<html data-theme>`), or the system's when `undefined`. */
export function applyTheme(theme: Theme | undefined): void {
  if (theme === undefined) delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** Stores and applies the user's choice. */
export function chooseTheme(theme: Theme): void {
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage may be disabled; the choice then lasts for this page only.
  }
  applyTheme(theme);
}
