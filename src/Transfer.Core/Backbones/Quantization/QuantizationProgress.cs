namespace Transfer.Backbones.Quantization;

/// <summary>Progress of <see cref="Backbone.QuantizeAsync"/>.</summary>
/// <param name="Stage">What is running: <c>decode</c>, <c>calibrate-range</c>, <c>calibrate-histogram</c>, <c>write</c> or <c>guard</c>.</param>
/// <param name="Completed">Images (or steps) done in this stage.</param>
/// <param name="Total">Images (or steps) in this stage.</param>
public readonly record struct QuantizationProgress(string Stage, int Completed, int Total);
