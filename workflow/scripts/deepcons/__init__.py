"""DeepCons: learn what makes DNA conserved with a CNN, and read motifs out of it.

Modules that handle intervals, sequences and motifs never import torch; only the model,
training and attribution modules do.
"""

__version__ = "0.1.0"
