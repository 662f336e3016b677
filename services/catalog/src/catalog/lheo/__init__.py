"""The LHEO 2.3 export of the catalog: VAE routes to certifications as training offers."""
