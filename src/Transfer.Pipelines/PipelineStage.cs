namespace Transfer.Pipelines;

/// <summary>The stages of a pipeline run, reported through progress.</summary>
public enum PipelineStage
{
    /// <summary>Computing (or reading cached) backbone features.</summary>
    Featurizing,

    /// <summary>Training the head.</summary>
    TrainingHead,

    /// <summary>Fine-tuning the top of the backbone with the head (<see cref="TransferPipelineBuilder.FineTune"/>): caching activations, then epochs.</summary>
    FineTuning,

    /// <summary>Evaluating on the test images.</summary>
    Evaluating,

    /// <summary>Auditing the dataset and writing the HTML evaluation report (<see cref="TransferPipelineBuilder.WriteReport"/>).</summary>
    WritingReport,

    /// <summary>Finished.</summary>
    Done,
}
