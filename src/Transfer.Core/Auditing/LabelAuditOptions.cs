using System.Globalization;
using Transfer.Heads;
using Transfer.Validation;

namespace Transfer.Auditing;

/// <summary>Options for <see cref="LabelAudit"/>.</summary>
public sealed class LabelAuditOptions
{
    /// <summary>The default <see cref="DuplicateThreshold"/>.</summary>
    public const float DefaultDuplicateThreshold = 0.97f;

    /// <summary>The default <see cref="MaxDuplicatesPerImage"/>.</summary>
    public const int DefaultMaxDuplicatesPerImage = 10;

    /// <summary>
    /// Gets the head whose cross-validated (out-of-fold) probabilities judge the labels; <see langword="null"/> for the
    /// automatic head (<see cref="AutoHeadTrainer"/> with <see cref="Folds"/> and <see cref="Seed"/>), whose choice
    /// already cross-validates, so its out-of-fold probabilities come at no extra cost. An <see cref="AutoHeadTrainer"/>
    /// given here keeps its own folds and seed.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (the automatic head).</value>
    public HeadTrainer? Head { get; init; }

    /// <summary>Gets the number of cross-validation folds (fewer when a class has fewer images).</summary>
    /// <value>The default value is 5.</value>
    public int Folds { get; init; } = Evaluation.CrossValidation.DefaultFolds;

    /// <summary>Gets the seed of the fold assignment.</summary>
    /// <value>The default value is 42.</value>
    public int Seed { get; init; } = 42;

    /// <summary>Gets the cosine similarity of centred features from which two images count as near-duplicates.</summary>
    /// <value>The default value is <see cref="DefaultDuplicateThreshold"/>.</value>
    public float DuplicateThreshold { get; init; } = DefaultDuplicateThreshold;

    /// <summary>Gets the most near-duplicates listed per image (its most similar ones), which bounds the memory of the search.</summary>
    /// <value>The default value is <see cref="DefaultMaxDuplicatesPerImage"/>.</value>
    public int MaxDuplicatesPerImage { get; init; } = DefaultMaxDuplicatesPerImage;

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (Folds < 2)
        {
            problems.Add($"Folds must be at least 2, was {Folds}.");
        }

        if (!(DuplicateThreshold > -1f && DuplicateThreshold <= 1f))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"DuplicateThreshold must be a cosine similarity in (-1, 1], was {DuplicateThreshold}."));
        }

        if (MaxDuplicatesPerImage < 1)
        {
            problems.Add($"MaxDuplicatesPerImage must be at least 1, was {MaxDuplicatesPerImage}.");
        }

        problems.ThrowIfAny(nameof(LabelAuditOptions));
    }
}
