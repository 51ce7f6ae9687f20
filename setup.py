"""Installs tinygrad_gen, with kernels/, models/ and benchmarks/ mapped into its namespace, and the ``tgg`` command."""
from setuptools import find_packages, setup

# kernels/, models/ and benchmarks/ are top-level folders of the repo, installed under the tinygrad_gen namespace
MAPPED = {"tinygrad_gen.kernels": "kernels", "tinygrad_gen.kernels.cpu": "kernels/cpu", "tinygrad_gen.models": "models",
          "tinygrad_gen.benchmarks": "benchmarks"}
ENGINE = ["tinygrad_gen"] + ["tinygrad_gen." + p for p in find_packages("tinygrad_gen")]

setup(
    name="tinygrad_gen",
    version="0.1.0",
    description="A from-scratch reverse-mode autodiff engine on NumPy/CuPy, with the generative models of a "
                "deep-learning course (GAN, DCGAN, CycleGAN, AE, VAE, BERT, GPT) built on it",
    license="MIT",
    python_requires=">=3.9",
    packages=ENGINE + list(MAPPED),
    package_dir=MAPPED,
    # NumPy is the only import-time need; the rest is imported lazily by the parts that use it
    # (scikit-learn ships the digits data, matplotlib draws the figures, tqdm shows progress).
    install_requires=["numpy>=1.24", "scikit-learn", "matplotlib", "tqdm", "threadpoolctl"],
    extras_require={
        "gpu": ["cupy-cuda12x", "numba-cuda"],
        # data-parallel training: mpi4py, and an MPI (the mpich wheel brings the library and mpiexec; no apt needed)
        "dist": ["mpi4py", "mpich"],
        # the CPU kernels (kernels/cpu/, Numba; SciPy brings the BLAS that np.dot calls inside them): chosen by
        # dispatch.py where they measured faster; the first run compiles them (cached after)
        "cpu": ["numba", "scipy"],
        "dev": ["pytest", "hypothesis", "torch==2.13.0", "numba", "safetensors", "mpi4py", "mpich", "ruff"],
        # the docs site (MkDocs + Material; math as MathML made at build time by latex2mathml), running the notebooks
        # (nbformat, nbclient, ipykernel) and the browser test's DevTools client (websocket-client)
        "docs": ["mkdocs>=1.6", "mkdocs-material>=9.5", "latex2mathml>=3.77", "nbformat>=5.9", "nbclient>=0.10",
                 "ipykernel>=6.29", "websocket-client>=1.7", "pytest"],
    },
    entry_points={"console_scripts": ["tgg=tinygrad_gen.cli:main"]},
)
