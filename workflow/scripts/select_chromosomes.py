"""Rule select_chromosomes: sizes of the chromosomes that input.chromosomes selects."""

import re

from deepcons.atomic import atomic_open
from deepcons.errors import InputError
from deepcons.genome import read_sizes
from deepcons.logs import log, run_rule


def listed(names: list[str], at_most: int = 30) -> str:
    shown = ", ".join(names[:at_most])
    return shown + (f" and {len(names) - at_most} more" if len(names) > at_most else "")


def main(smk):
    pattern = smk.params.pattern
    try:
        selected = re.compile(pattern)
    except re.error as err:
        raise InputError(f"input.chromosomes: not a regular expression ({err})", "config") from None
    sizes = read_sizes(smk.input.sizes)
    kept = {name: size for name, size in sizes.items() if selected.fullmatch(name)}
    if not kept:
        raise InputError(
            f"input.chromosomes: {pattern!r} matches none of the genome's sequences "
            f"({', '.join(list(sizes)[:5])}, ...)",
            "config",
        )
    dropped = [name for name in sizes if name not in kept]
    log.info(
        "kept %d of %d sequences (input.chromosomes %r): %s",
        len(kept),
        len(sizes),
        pattern,
        listed(list(kept)),
    )
    if dropped:
        log.info("left out: %s", listed(dropped))
    with atomic_open(smk.output.sizes) as out:
        out.writelines(f"{name}\t{size}\n" for name, size in kept.items())


run_rule(main, snakemake)
