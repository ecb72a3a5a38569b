"""Process reward models: step-labelled data, training, evaluation."""
