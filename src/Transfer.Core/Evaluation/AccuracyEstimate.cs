namespace Transfer.Evaluation;

/// <summary>How a run estimated its model's accuracy, and the figures: on a separate test set, by cross-validation over the training images, or on a held-out part of them.</summary>
/// <param name="Method">
/// <c>test</c> (a separate test set), <c>cv</c> (stratified k-fold cross-validation: every training image scored once by a
/// head trained without it) or <c>holdout</c> (a stratified fraction held out, then put back for the saved model).
/// </param>
/// <param name="Images">The number of images the figures were computed on.</param>
/// <param name="MicroAccuracy">The micro-accuracy.</param>
/// <param name="MacroAccuracy">The macro-accuracy.</param>
/// <param name="Folds">The number of folds for <c>cv</c>, otherwise <see langword="null"/>.</param>
/// <param name="StandardDeviation">The standard deviation of the fold accuracies for <c>cv</c> (the spread of the estimate), otherwise <see langword="null"/>.</param>
public sealed record AccuracyEstimate(string Method, int Images, double MicroAccuracy, double MacroAccuracy, int? Folds = null, double? StandardDeviation = null)
{
    /// <summary>The method name of an estimate on a separate test set.</summary>
    public const string Test = "test";

    /// <summary>The method name of a cross-validated estimate.</summary>
    public const string CrossValidated = "cv";

    /// <summary>The method name of a hold-out estimate.</summary>
    public const string Holdout = "holdout";

    /// <summary>Describes the estimate in one line, e.g. <c>0.912 ± 0.021 (5-fold cross-validation on 140 images)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => Method switch
    {
        CrossValidated => FormattableString.Invariant($"micro-accuracy {MicroAccuracy:F3} ± {StandardDeviation:F3}, macro {MacroAccuracy:F3} ({Folds}-fold cross-validation on {Images} images)"),
        Holdout => FormattableString.Invariant($"micro-accuracy {MicroAccuracy:F3}, macro {MacroAccuracy:F3} (hold-out of {Images} images)"),
        _ => FormattableString.Invariant($"micro-accuracy {MicroAccuracy:F3}, macro {MacroAccuracy:F3} (test set of {Images} images)"),
    };
}
