using Transfer.Featurization;
using Transfer.FineTuning;

namespace Transfer.Pipelines;

/// <summary>Progress of a pipeline run.</summary>
/// <param name="Stage">The current stage.</param>
/// <param name="Dataset">Which images are being featurized (<c>train</c>, <c>validation</c>, <c>test</c>), or empty.</param>
/// <param name="Featurization">Image counts during <see cref="PipelineStage.Featurizing"/> (and while <see cref="TransferPipeline.EvaluateAsync"/> predicts), else <see langword="null"/>.</param>
public sealed record PipelineProgress(PipelineStage Stage, string Dataset, FeaturizationProgress? Featurization)
{
    /// <summary>Gets the fine-tuning step (caching, warm start, each batch and epoch) during <see cref="PipelineStage.FineTuning"/>, else <see langword="null"/>.</summary>
    public FineTuneProgress? FineTuning { get; init; }
}
