namespace Wirestack.Sockets;

/// <summary>
/// The one exception type the sockets API throws for network conditions; <see cref="ErrorCode"/> says which.
/// Cancellation through a <see cref="CancellationToken"/> is reported as <see cref="OperationCanceledException"/>, as in the BCL.
/// </summary>
public sealed class WirestackException : Exception
{
    /// <summary>Makes an exception with a code and a message.</summary>
    public WirestackException(WirestackErrorCode errorCode, string message)
        : base(message) => ErrorCode = errorCode;

    /// <summary>Makes an exception with a code, a message and the exception that caused it.</summary>
    public WirestackException(WirestackErrorCode errorCode, string message, Exception? innerException)
        : base(message, innerException) => ErrorCode = errorCode;

    /// <summary>What went wrong.</summary>
    public WirestackErrorCode ErrorCode { get; }
}
