import type { BerthClient } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Process } from "@berth/gen/containerd/types/task/task_pb.js";
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { containerJson } from "../model/container-json.js";
import { sortedEntries } from "../model/labels.js";
import { formatAbsolute, formatRelative } from "../model/relative-time.js";
import { describeAny, prettySpec } from "../model/spec.js";
import { CopyButton } from "./copy-button.js";
import { KeyValueList } from "./key-value-list.js";
import { TaskSection } from "./task-section.js";

/** Props of {@link DetailsPane}. */
export interface DetailsPaneProps {
  readonly id: string;
  /** The live record; `undefined` once it was deleted. */
  readonly container: Container | undefined;
  readonly now: number;
  readonly onClose: () => void;
  readonly onEditLabels: () => void;
  readonly onDelete: () => void;
  /** Where the server runs tasks (a containerd behind berthd): the task section and its actions. */
  readonly tasks?: TaskPaneProps | undefined;
}

/** What the details pane needs to show and act on a container's task. */
export interface TaskPaneProps {
  /** Client of the container's namespace. */
  readonly client: BerthClient;
  readonly task: Process | undefined;
  readonly onKill: () => void;
  readonly onDeleteTask: () => void;
}

/**
 * Everything about one container: labels, runtime and its options,
 * extensions, and the spec (pretty JSON when it is OCI JSON); a JSON tab shows
 * the whole record. Copy buttons take the id and the JSON. Escape closes it.
 */
export function DetailsPane({ id, container, now, onClose, onEditLabels, onDelete, tasks }: DetailsPaneProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [tab, setTab] = useState<"details" | "json">("details");
  useLayoutEffect(() => heading.current?.focus(), [id]);
  return (
    <aside
      class="details"
      aria-labelledby="details-title"
      onKeyDown={(event) => {
        if (event.key !== "Escape" || event.defaultPrevented) return;
        event.preventDefault();
        onClose();
        document.getElementById("containers-grid")?.focus();
      }}
    >
      <header class="details-header">
        <h2 id="details-title" ref={heading} tabIndex={-1}>
          <span class="visually-hidden">Container </span>
          {id}
        </h2>
        <button type="button" class="button button-quiet" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </header>
      <div class="details-tools">
        <CopyButton label="Copy ID" text={() => id} />
        {container !== undefined && (
          <div class="tabs" role="tablist" aria-label="Container views">
            {(["details", "json"] as const).map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                id={`details-tab-${name}`}
                class="tab"
                aria-selected={tab === name}
                aria-controls="details-panel"
                onClick={() => setTab(name)}
              >
                {name === "details" ? "Details" : "JSON"}
              </button>
            ))}
          </div>
        )}
      </div>
      {container === undefined ? (
        <p class="muted">This container was deleted.</p>
      ) : (
        <div id="details-panel" role="tabpanel" aria-labelledby={`details-tab-${tab}`} class="details-panel">
          {tab === "json" ? (
            <ContainerJson container={container} />
          ) : (
            <ContainerDetails
              container={container}
              now={now}
              onEditLabels={onEditLabels}
              onDelete={onDelete}
              tasks={tasks}
            />
          )}
        </div>
      )}
    </aside>
  );
}

/** The whole record as JSON, with its copy button. */
function ContainerJson({ container }: { readonly container: Container }) {
  const json = containerJson(container);
  return (
    <div class="details-body">
      <div class="details-actions">
        <CopyButton label="Copy JSON" text={() => json} />
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <pre class="spec" id="container-json" tabIndex={0}>
        {json}
      </pre>
    </div>
  );
}

interface ContainerDetailsProps {
  readonly container: Container;
  readonly now: number;
  readonly onEditLabels: () => void;
  readonly onDelete: () => void;
  readonly tasks: TaskPaneProps | undefined;
}

function ContainerDetails({ container, now, onEditLabels, onDelete, tasks }: ContainerDetailsProps) {
  const spec = container.spec === undefined ? undefined : prettySpec(container.spec);
  const options = container.runtime?.options;
  const time = (label: string, value: Container["createdAt"]) =>
    [
      label,
      <span key={label}>
        <time dateTime={formatAbsolute(value)}>{formatAbsolute(value)}</time>
        <span class="muted"> ({formatRelative(value, now)})</span>
      </span>,
    ] as const;
  return (
    <div class="details-body">
      <div class="details-actions">
        <button type="button" class="button" onClick={onEditLabels}>
          Edit labels
        </button>
        <button type="button" class="button button-danger" onClick={onDelete}>
          Delete…
        </button>
      </div>
      {tasks !== undefined && (
        <TaskSection
          client={tasks.client}
          container={container}
          task={tasks.task}
          onKill={tasks.onKill}
          onDeleteTask={tasks.onDeleteTask}
        />
      )}
      <section aria-labelledby="details-overview">
        <h3 id="details-overview">Overview</h3>
        <KeyValueList
          entries={[
            ["Image", container.image || "—"],
            ["Runtime", container.runtime?.name ?? "—"],
            ["Runtime options", options === undefined ? "none" : describeAny(options)],
            ["Snapshotter", container.snapshotter || "—"],
            ["Snapshot key", container.snapshotKey || "—"],
            time("Created", container.createdAt),
            time("Updated", container.updatedAt),
          ]}
        />
      </section>
      <section aria-labelledby="details-labels">
        <h3 id="details-labels">Labels</h3>
        <KeyValueList entries={sortedEntries(container.labels)} empty="No labels" />
      </section>
      <section aria-labelledby="details-extensions">
        <h3 id="details-extensions">Extensions</h3>
        <KeyValueList
          entries={sortedEntries(container.extensions).map(([key, any]) => [key, describeAny(any)] as const)}
          empty="No extensions"
        />
      </section>
      <section aria-labelledby="details-spec">
        <h3 id="details-spec">Spec</h3>
        {container.spec === undefined ? (
          <p class="muted">No spec</p>
        ) : spec === undefined ? (
          <p>{describeAny(container.spec)}</p>
        ) : (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
          <pre class="spec" tabIndex={0}>
            {spec}
          </pre>
        )}
      </section>
    </div>
  );
}
