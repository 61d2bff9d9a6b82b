using Transfer.Featurization;

namespace Transfer.Models;

/// <summary>The outcome of <c>TransferModel.AddClassAsync</c>.</summary>
/// <param name="Model">The new model, with the class last (dispose it).</param>
/// <param name="Featurization">How the new images were featurized: skipped images, cache hits, time.</param>
public sealed record ClassAddition(TransferModel Model, FeaturizationResult Featurization);
