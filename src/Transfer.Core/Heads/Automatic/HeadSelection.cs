using Transfer.Evaluation;

namespace Transfer.Heads;

/// <summary>
/// The outcome of <c>AutoHeadTrainer.Select</c>: every candidate's cross-validated figures, the chosen trainer,
/// and the chosen candidate's out-of-fold predictions (an accuracy estimate that used every image).
/// </summary>
public sealed class HeadSelection
{
    internal HeadSelection(IReadOnlyList<HeadCandidateResult> candidates, HeadTrainer chosen, CrossValidationResult chosenCrossValidation, int folds, IReadOnlyList<float[]?>? foldSolutions = null)
    {
        FoldSolutions = foldSolutions;
        Candidates = candidates;
        Chosen = chosen;
        ChosenCrossValidation = chosenCrossValidation;
        Folds = folds;
    }

    /// <summary>Gets the candidates in preference order with their cross-validated figures.</summary>
    public IReadOnlyList<HeadCandidateResult> Candidates { get; }

    /// <summary>Gets the chosen trainer (train it on every row for the final head).</summary>
    public HeadTrainer Chosen { get; }

    /// <summary>Gets the chosen candidate's cross-validation (out-of-fold metrics and fold accuracies).</summary>
    public CrossValidationResult ChosenCrossValidation { get; }

    /// <summary>
    /// Gets the chosen maximum-entropy candidate's centered parameters per fold (<see langword="null"/> for another
    /// candidate): later fits on the same folds start from them.
    /// </summary>
    public IReadOnlyList<float[]?>? FoldSolutions { get; }

    /// <summary>Gets the number of folds used.</summary>
    public int Folds { get; }

    /// <summary>Formats the candidates as a text table (one line each, the chosen one marked).</summary>
    /// <returns>The table.</returns>
    public string ToTable()
    {
        var lines = new List<string> { "candidate            cv log-loss  cv micro  cv macro  seconds" };
        foreach (var c in Candidates)
        {
            lines.Add(c.SkippedReason is null
                ? System.FormattableString.Invariant($"{(c.Chosen ? "* " : "  ")}{c.Name,-18} {c.LogLoss,11:F4}  {c.MicroAccuracy,8:F4}  {c.MacroAccuracy,8:F4}  {c.Seconds,7:F1}")
                : $"  {c.Name,-18} skipped: {c.SkippedReason}");
        }

        return string.Join(Environment.NewLine, lines);
    }
}
