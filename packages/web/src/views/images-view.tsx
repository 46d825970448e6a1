import type { ImagesState } from "../hooks/use-images.js";
import { formatAbsolute, formatRelative } from "../model/relative-time.js";

/** Props of {@link ImagesView}. */
export interface ImagesViewProps {
  readonly namespace: string;
  readonly state: ImagesState;
  readonly now: number;
}

/** The namespace's images as containerd holds them: name, target manifest, size, creation. */
export function ImagesView({ namespace, state, now }: ImagesViewProps) {
  return (
    <section class="list" aria-labelledby="images-title">
      <div class="toolbar">
        <h2 id="images-title">Images</h2>
        <span class="muted" aria-live="polite">
          {state.loading ? "Loading…" : `${state.images.length} ${state.images.length === 1 ? "image" : "images"}`}
        </span>
      </div>
      {state.error !== undefined && (
        <p class="form-error" role="alert">
          {state.error}
        </p>
      )}
      <div class="table-area scroll-area">
        <table class="plain-table" aria-label="Images">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Media type</th>
              <th scope="col">Digest</th>
              <th scope="col">Size</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {state.images.map((image) => (
              <tr key={image.name} id={`image-${image.name}`}>
                <td>{image.name}</td>
                <td>{image.target?.mediaType ?? "—"}</td>
                <td class="digest" title={image.target?.digest}>
                  {image.target?.digest.slice(0, 19) ?? "—"}
                </td>
                <td>{formatSize(Number(image.target?.size ?? 0n))}</td>
                <td title={formatAbsolute(image.createdAt)}>{formatRelative(image.createdAt, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!state.loading && state.images.length === 0 && state.error === undefined && (
          <p class="empty">No images in {namespace}.</p>
        )}
      </div>
    </section>
  );
}

/** Bytes as ctr prints sizes: B, KiB, MiB, GiB. */
function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
