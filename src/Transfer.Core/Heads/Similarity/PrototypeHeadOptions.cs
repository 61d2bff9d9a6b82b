using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads;

/// <summary>Options for <see cref="PrototypeHeadTrainer"/>.</summary>
public sealed class PrototypeHeadOptions
{
    /// <summary>
    /// Gets the temperature that scales the cosine similarities before the softmax, or <see langword="null"/> to choose
    /// it on the training images (the one with the lowest leave-one-out log-loss).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public float? Temperature { get; init; }

    /// <summary>Gets a canonical description of the options, for the run manifest.</summary>
    /// <returns>The description.</returns>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"Prototype(temperature={Temperature?.ToString("R", CultureInfo.InvariantCulture) ?? "calibrated"})");

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">A value is invalid.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (Temperature is { } t && !(t > 0 && float.IsFinite(t)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Temperature must be a finite number above 0 (or null to calibrate it), was {t}."));
        }

        problems.ThrowIfAny(nameof(PrototypeHeadOptions));
    }
}
