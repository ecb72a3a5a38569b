"""Parameter-space model merging (mergekit's linear, task arithmetic, TIES and DARE), streamed one
tensor at a time from Hugging Face safetensors folders into a new folder.

methods.py names the methods and their mergekit defaults (torch-free, for configs and the CLI);
sparsify.py trims (TIES) and drops (DARE) task vectors; combine.py merges one tensor;
checkpoints.py reads a folder's safetensors headers and single tensors; writer.py writes (sharded)
safetensors a tensor at a time; stream.py checks that the inputs fit together and runs the merge.
"""
