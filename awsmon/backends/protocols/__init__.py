"""One protocol per AWS service. Method names and parameters follow the boto3 operations exactly (keyword
arguments in PascalCase, boto3-shaped dict responses), so the ``aws`` backend can pass calls straight to boto3 and
the ``local`` backend mirrors moto's layout."""
