using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads;

/// <summary>Options for <see cref="NearestNeighborHeadTrainer"/>.</summary>
public sealed class NearestNeighborHeadOptions
{
    /// <summary>The default number of neighbours that vote.</summary>
    public const int DefaultNeighbors = 10;

    /// <summary>Gets the number of nearest training images that vote (fewer when there are fewer images).</summary>
    /// <value>The default value is <see cref="DefaultNeighbors"/>.</value>
    public int Neighbors { get; init; } = DefaultNeighbors;

    /// <summary>
    /// Gets the temperature of the votes: a neighbour with cosine similarity <c>s</c> votes <c>exp(Temperature × s)</c>,
    /// or <see langword="null"/> to choose it on the training images (lowest leave-one-out log-loss).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public float? Temperature { get; init; }

    /// <summary>Gets a canonical description of the options, for the run manifest.</summary>
    /// <returns>The description.</returns>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"NearestNeighbor(k={Neighbors}, temperature={Temperature?.ToString("R", CultureInfo.InvariantCulture) ?? "calibrated"})");

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">A value is invalid.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (Neighbors < 1)
        {
            problems.Add($"Neighbors must be at least 1, was {Neighbors}.");
        }

        if (Temperature is { } t && !(t > 0 && float.IsFinite(t)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Temperature must be a finite number above 0 (or null to calibrate it), was {t}."));
        }

        problems.ThrowIfAny(nameof(NearestNeighborHeadOptions));
    }
}
