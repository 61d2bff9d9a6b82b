namespace Transfer.Pipelines;

/// <summary>The stages of a pipeline run, reported through progress, in the order they run (the numbers of the stages shipped before fine-tuning are kept).</summary>
public enum PipelineStage
{
    /// <summary>Computing (or reading cached) backbone features.</summary>
    Featurizing = 0,

    /// <summary>Training the head.</summary>
    TrainingHead = 1,

    /// <summary>Fine-tuning the top of the backbone with the head (<see cref="TransferPipelineBuilder.FineTune"/>): caching activations, then epochs.</summary>
    FineTuning = 5,

    /// <summary>Evaluating on the test images.</summary>
    Evaluating = 2,

    /// <summary>Auditing the dataset and writing the HTML evaluation report (<see cref="TransferPipelineBuilder.WriteReport"/>).</summary>
    WritingReport = 3,

    /// <summary>Finished.</summary>
    Done = 4,
}
