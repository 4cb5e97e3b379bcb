"""Classical segmentation methods (thresholding, region growing, watershed, ...).

Each method registers itself in the shared registry (``models.registry``) with kind
``classical``. The methods arrive with issue 5; until then this package registers none.
"""
