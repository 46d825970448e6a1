import type { ComponentChildren } from "preact";
import { useId, useLayoutEffect, useRef } from "preact/hooks";

/** Props of {@link ModalDialog}. */
export interface ModalDialogProps {
  readonly title: string;
  /** Escape, or the parent deciding to close; the parent then unmounts the dialog. */
  readonly onClose: () => void;
  /** `alertdialog` for confirmations. */
  readonly role?: "dialog" | "alertdialog";
  readonly children: ComponentChildren;
}

/**
 * A native modal `<dialog>`: focus stays inside, Escape closes it, and focus
 * goes back where it was (or to the container table when that is gone).
 */
export function ModalDialog({ title, onClose, role = "dialog", children }: ModalDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;
  useLayoutEffect(() => {
    const element = dialog.current;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    if (element !== null && !element.open) element.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      close.current();
    };
    element?.addEventListener("cancel", onCancel);
    return () => {
      element?.removeEventListener("cancel", onCancel);
      element?.close();
      const target = previous?.isConnected ? previous : document.getElementById("containers-grid");
      target?.focus();
    };
  }, []);
  return (
    <dialog ref={dialog} class="dialog" role={role === "alertdialog" ? role : undefined} aria-labelledby={titleId}>
      <h2 id={titleId} class="dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}
