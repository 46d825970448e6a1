/** Props of {@link FormError}. */
export interface FormErrorProps {
  readonly id: string;
  readonly message: string | undefined;
}

/** A form's error line, announced when it appears (the server's message, verbatim). */
export function FormError({ id, message }: FormErrorProps) {
  return (
    <p id={id} class="form-error" role="alert">
      {message}
    </p>
  );
}
