"""The DAG as a Mermaid diagram, from Ploomber's own reading of pipeline.yaml.

README.md embeds the output; a test fails when the two disagree (`make diagram` reprints it).
"""

from __future__ import annotations

from pathlib import Path


def mermaid(project: str | Path | None = None) -> str:
    from mlcycle.orchestration.dag import make_dag

    dag = make_dag(project)
    lines = ["```mermaid", "flowchart LR"]
    for name in dag:  # insertion order follows pipeline.yaml
        for upstream in sorted(dag[name].upstream):
            lines.append(f"    {upstream} --> {name}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
