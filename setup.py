from setuptools import setup

setup(
    name="tinygrad_gen",
    version="0.1.0",
    description="A from-scratch reverse-mode autodiff engine on NumPy/CuPy, with the generative models of a "
                "deep-learning course (GAN, DCGAN, CycleGAN, AE, VAE, BERT, GPT) built on it",
    python_requires=">=3.9",
    packages=["tinygrad_gen", "tinygrad_gen.ops", "tinygrad_gen.nn", "tinygrad_gen.data",
              "tinygrad_gen.kernels", "tinygrad_gen.models", "tinygrad_gen.benchmarks"],
    package_dir={"tinygrad_gen.kernels": "kernels", "tinygrad_gen.models": "models",
                 "tinygrad_gen.benchmarks": "benchmarks"},
    # NumPy is the only import-time need; the rest is imported lazily by the parts that use it
    # (scikit-learn ships the digits data, matplotlib draws the figures, tqdm shows progress).
    install_requires=["numpy>=1.24", "scikit-learn", "matplotlib", "tqdm"],
    extras_require={
        "gpu": ["cupy-cuda12x", "numba-cuda"],
        "dev": ["pytest", "hypothesis", "torch==2.13.0", "numba", "safetensors"],
    },
    entry_points={"console_scripts": ["tgg=tinygrad_gen.cli:main"]},
)
