/** xhr2 ships no types: it is Node's XMLHttpRequest, which Google's grpc-web runtime calls. */
declare module "xhr2" {
  const XMLHttpRequest: unknown;
  export default XMLHttpRequest;
}
