using System.Diagnostics.CodeAnalysis;

namespace Wirestack;

/// <summary>
/// A point in time for the stack's core, in microseconds since an arbitrary origin. The core never
/// reads a clock: <c>Poll(now)</c> hands it the time, which is what makes deterministic simulation
/// possible. Microseconds are fine enough for timers and RTTs and last 292 000 years in a long.
/// </summary>
public readonly struct Instant : IEquatable<Instant>, IComparable<Instant>
{
    private Instant(long microseconds) => TotalMicroseconds = microseconds;

    /// <summary>The origin.</summary>
    public static Instant Zero => default;

    /// <summary>Later than any real time: "never" for a deadline.</summary>
    public static Instant MaxValue => new(long.MaxValue);

    /// <summary>Microseconds since the origin.</summary>
    public long TotalMicroseconds { get; }

    /// <summary>Milliseconds since the origin (truncated).</summary>
    public long TotalMilliseconds => TotalMicroseconds / 1000;

    /// <summary>Makes an instant from microseconds since the origin.</summary>
    public static Instant FromMicroseconds(long microseconds) => new(microseconds);

    /// <summary>Makes an instant from milliseconds since the origin.</summary>
    public static Instant FromMilliseconds(long milliseconds) => new(checked(milliseconds * 1000));

    /// <summary>Now on <paramref name="time"/>'s timestamp counter, measured from its zero.</summary>
    public static Instant Now(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        long ticks = time.GetTimestamp();
        long frequency = time.TimestampFrequency;
        return new(Math.DivRem(ticks, frequency, out long rest) * 1_000_000 + (long)((Int128)rest * 1_000_000 / frequency));
    }

    /// <summary>The later of two instants.</summary>
    public static Instant Max(Instant a, Instant b) => a.TotalMicroseconds >= b.TotalMicroseconds ? a : b;

    /// <summary>The earlier of two instants.</summary>
    public static Instant Min(Instant a, Instant b) => a.TotalMicroseconds <= b.TotalMicroseconds ? a : b;

    /// <summary>An instant moved by a duration (saturating at <see cref="MaxValue"/>).</summary>
    public static Instant operator +(Instant instant, TimeSpan duration)
    {
        long micro = duration.Ticks / 10;
        return instant.TotalMicroseconds > long.MaxValue - micro ? MaxValue : new(instant.TotalMicroseconds + micro);
    }

    /// <summary>An instant moved back by a duration.</summary>
    public static Instant operator -(Instant instant, TimeSpan duration) => new(instant.TotalMicroseconds - duration.Ticks / 10);

    /// <summary>The time between two instants.</summary>
    public static TimeSpan operator -(Instant later, Instant earlier) => TimeSpan.FromMicroseconds(later.TotalMicroseconds - earlier.TotalMicroseconds);

    /// <summary>Compares two instants.</summary>
    public static bool operator <(Instant a, Instant b) => a.TotalMicroseconds < b.TotalMicroseconds;

    /// <summary>Compares two instants.</summary>
    public static bool operator >(Instant a, Instant b) => a.TotalMicroseconds > b.TotalMicroseconds;

    /// <summary>Compares two instants.</summary>
    public static bool operator <=(Instant a, Instant b) => a.TotalMicroseconds <= b.TotalMicroseconds;

    /// <summary>Compares two instants.</summary>
    public static bool operator >=(Instant a, Instant b) => a.TotalMicroseconds >= b.TotalMicroseconds;

    /// <summary>Compares two instants.</summary>
    public static bool operator ==(Instant a, Instant b) => a.TotalMicroseconds == b.TotalMicroseconds;

    /// <summary>Compares two instants.</summary>
    public static bool operator !=(Instant a, Instant b) => a.TotalMicroseconds != b.TotalMicroseconds;

    /// <inheritdoc />
    public bool Equals(Instant other) => TotalMicroseconds == other.TotalMicroseconds;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Instant other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => TotalMicroseconds.GetHashCode();

    /// <inheritdoc />
    public int CompareTo(Instant other) => TotalMicroseconds.CompareTo(other.TotalMicroseconds);

    /// <inheritdoc />
    public override string ToString() => $"{TotalMicroseconds / 1_000_000}.{TotalMicroseconds % 1_000_000:D6}s";
}
