/// Where the client interacted with the agency, so notifications can mention the right channel.
public enum StatusChannel: String, Codable, Sendable, Hashable, CaseIterable {
    /// An agency e-service.
    case eservice
    /// The state portal latvija.gov.lv.
    case portal
    /// A state and local government unified client service centre (VPVKAC).
    case vpvkac
    /// At the agency's customer service desk.
    case inPerson = "in_person"
    /// By telephone.
    case phone
    /// By post.
    case post
    /// Through the official e-address.
    case eAddress = "e_address"
}
