namespace Wirestack.Sockets;

/// <summary>
/// The one exception type the sockets API throws for network conditions; <see cref="ErrorCode"/> says which.
/// Cancellation through a <see cref="CancellationToken"/> is reported as <see cref="OperationCanceledException"/>, as in the BCL.
/// </summary>
/// <remarks>
/// It is an <see cref="IOException"/>, so that code written against <see cref="Stream"/> (readers, <c>SslStream</c>,
/// HTTP servers) sees a failed connection the way it sees one from <c>NetworkStream</c>.
/// </remarks>
public sealed class WirestackException : IOException
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
